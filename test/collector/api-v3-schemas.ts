import { z } from 'zod'

/**
 * api_v3's answers as jaeger-idl describes them (`swagger/api_v3/query_service.openapi.yaml`, `components.schemas`,
 * and `proto/api_v3/query_service.proto` for the HTTP wrappers), transcribed as strict zod schemas: a field the
 * spec does not name fails the parse. The OTLP/JSON encoding rules the spec leaves to OTLP are added: ids as hex
 * of their byte length, 64-bit integers as decimal strings, enums as integers.
 */
const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`))
const decimal = z.string().regex(/^-?\d+$/)
const uint32 = z.number().int().min(0)

type AnyValue = { [key: string]: unknown }
const anyValue: z.ZodType<AnyValue> = z.lazy(() =>
  z.union([
    z.strictObject({ stringValue: z.string() }),
    z.strictObject({ boolValue: z.boolean() }),
    z.strictObject({ intValue: decimal }),
    z.strictObject({ doubleValue: z.number() }),
    z.strictObject({ bytesValue: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/) }),
    z.strictObject({ arrayValue: z.strictObject({ values: z.array(anyValue).optional() }) }),
    z.strictObject({ kvlistValue: z.strictObject({ values: z.array(keyValue).optional() }) }),
  ]),
)
const keyValue = z.strictObject({ key: z.string(), value: anyValue })

const span = z.strictObject({
  traceId: hex(16),
  spanId: hex(8),
  traceState: z.string().optional(),
  parentSpanId: hex(8).optional(),
  flags: uint32.optional(),
  name: z.string().optional(),
  kind: z.number().int().min(0).max(5).optional(),
  startTimeUnixNano: decimal,
  endTimeUnixNano: decimal,
  attributes: z.array(keyValue).optional(),
  droppedAttributesCount: uint32.optional(),
  events: z
    .array(
      z.strictObject({
        timeUnixNano: decimal,
        name: z.string().optional(),
        attributes: z.array(keyValue).optional(),
        droppedAttributesCount: uint32.optional(),
      }),
    )
    .optional(),
  droppedEventsCount: uint32.optional(),
  links: z
    .array(
      z.strictObject({
        traceId: hex(16),
        spanId: hex(8),
        traceState: z.string().optional(),
        attributes: z.array(keyValue).optional(),
        droppedAttributesCount: uint32.optional(),
        flags: uint32.optional(),
      }),
    )
    .optional(),
  droppedLinksCount: uint32.optional(),
  status: z
    .strictObject({ message: z.string().optional(), code: z.number().int().min(0).max(2).optional() })
    .optional(),
})

export const tracesData = z.strictObject({
  resourceSpans: z.array(
    z.strictObject({
      resource: z
        .strictObject({ attributes: z.array(keyValue).optional(), droppedAttributesCount: uint32.optional() })
        .optional(),
      scopeSpans: z.array(
        z.strictObject({
          scope: z
            .strictObject({
              name: z.string().optional(),
              version: z.string().optional(),
              attributes: z.array(keyValue).optional(),
              droppedAttributesCount: uint32.optional(),
            })
            .optional(),
          spans: z.array(span),
          schemaUrl: z.string().optional(),
        }),
      ),
      schemaUrl: z.string().optional(),
    }),
  ),
})

/** `GRPCGatewayWrapper`: a streamed TracesData over HTTP, under `result`. */
export const tracesResult = z.strictObject({ result: tracesData })

/** `GRPCGatewayError`, what Jaeger's api_v3 gateway answers an error with (Grafana reads `error.httpCode`). */
export const gatewayError = z.strictObject({
  error: z.strictObject({
    grpcCode: z.number().int(),
    httpCode: z.number().int(),
    message: z.string(),
    httpStatus: z.string(),
  }),
})

export const servicesResponse = z.strictObject({ services: z.array(z.string()) })

export const operationsResponse = z.strictObject({
  operations: z.array(z.strictObject({ name: z.string(), spanKind: z.string() })),
})

export const traceSummariesResponse = z.strictObject({
  summaries: z.array(
    z.strictObject({
      traceId: hex(16),
      rootServiceName: z.string().optional(),
      rootOperationName: z.string().optional(),
      minStartTimeUnixNano: decimal.optional(),
      maxEndTimeUnixNano: decimal.optional(),
      spanCount: z.number().int().optional(),
      errorSpanCount: z.number().int().optional(),
      orphanSpanCount: z.number().int().optional(),
      services: z
        .array(
          z.strictObject({
            name: z.string(),
            spanCount: z.number().int().optional(),
            errorSpanCount: z.number().int().optional(),
          }),
        )
        .optional(),
    }),
  ),
})

export const dependenciesResponse = z.strictObject({
  dependencies: z.array(z.strictObject({ parent: z.string(), child: z.string(), callCount: decimal })),
})
