import { nowNanos } from './helpers.ts'

/** Hand-written OTLP JSON as other SDKs send it (spec form: hex ids in any case, 64-bit ints as strings or numbers). */
export const TRACE_ID = '5B8EFFF798038103D269B633813FC60C'
export const ROOT_ID = 'EEE19B7EC3C1B174'
export const CHILD_ID = 'EEE19B7EC3C1B173'
export const ORPHAN_ID = '00F067AA0BA902B7'
export const LINKED_TRACE = '0af7651916cd43dd8448eb211c80319c'
export const LINKED_SPAN = 'b7ad6b7169203331'

const string = (key: string, value: string) => ({ key, value: { stringValue: value } })

/**
 * Nanoseconds of today need more than a double's 53 bits: one given as a JSON number is rounded (to a multiple of
 * 256 ns), and its microseconds then differ from those of the same time given as a string about one time in eight.
 * A start on a whole 4 ms (a multiple of both 256 ns and 1 µs) keeps the times written as numbers below exact.
 */
const EXACT_AS_NUMBER_NS = 4_000_000n

export function handWrittenRequest() {
  const start = ((nowNanos() - 10_000_000_000n) / EXACT_AS_NUMBER_NS) * EXACT_AS_NUMBER_NS
  return {
    resourceSpans: [
      {
        resource: {
          attributes: [string('service.name', 'checkout'), string('host.name', 'box-1')],
          droppedAttributesCount: 0,
        },
        schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
        futureField: { anything: true },
        scopeSpans: [
          {
            scope: { name: 'hand-written', version: '1.2.3' },
            spans: [
              {
                traceId: TRACE_ID,
                spanId: ROOT_ID,
                name: 'POST /checkout',
                kind: 2,
                startTimeUnixNano: String(start),
                endTimeUnixNano: String(start + 2_000_000_000n),
                attributes: [
                  string('http.request.method', 'POST'),
                  { key: 'http.response.status_code', value: { intValue: '502' } },
                  { key: 'retries', value: { intValue: 3 } },
                  { key: 'big', value: { intValue: '9007199254740993' } },
                  { key: 'ratio', value: { doubleValue: 0.25 } },
                  { key: 'cached', value: { boolValue: false } },
                  { key: 'raw', value: { bytesValue: 'AQID' } },
                  { key: 'tags', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: '2' }] } } },
                  {
                    key: 'map',
                    value: { kvlistValue: { values: [string('k', 'v'), { key: 'n', value: { boolValue: true } }] } },
                  },
                ],
                status: { code: 2, message: 'upstream failed' },
                unknownSpanField: 42,
              },
              {
                traceId: TRACE_ID.toLowerCase(),
                spanId: CHILD_ID,
                parentSpanId: ROOT_ID,
                name: 'create_payment',
                kind: 3,
                startTimeUnixNano: Number(start + 100_000_000n),
                endTimeUnixNano: Number(start + 1_900_000_000n),
                attributes: [string('error.type', 'TIMEOUT')],
                events: [
                  {
                    timeUnixNano: String(start + 500_000_000n),
                    name: 'retry_attempt',
                    attributes: [{ key: 'attempt', value: { intValue: '1' } }],
                  },
                  {
                    timeUnixNano: String(start + 1_800_000_000n),
                    name: 'exception',
                    attributes: [string('exception.message', 'timed out')],
                  },
                ],
                links: [
                  {
                    traceId: LINKED_TRACE,
                    spanId: LINKED_SPAN,
                    traceState: 'vendor=1',
                    attributes: [string('link.reason', 'batch')],
                  },
                ],
                status: { code: 2, message: 'TIMEOUT' },
              },
              {
                traceId: TRACE_ID,
                spanId: ORPHAN_ID,
                parentSpanId: '1111111111111111',
                name: 'late_callback',
                kind: 1,
                startTimeUnixNano: String(start + 1_000_000_000n),
                endTimeUnixNano: String(start + 1_100_000_000n),
                status: {},
              },
            ],
          },
        ],
      },
    ],
  }
}

interface FixtureSpan {
  id: string
  parent?: string
  service: string
  name: string
  /** Milliseconds from the trace start. */
  at: number
  ms: number
  error?: string
  attributes?: Record<string, string | number | boolean>
  events?: { name: string; at: number; attributes?: Record<string, string | number> }[]
}

const anyValue = (value: string | number | boolean) =>
  typeof value === 'string'
    ? { stringValue: value }
    : typeof value === 'boolean'
      ? { boolValue: value }
      : { intValue: String(value) }
const keyValues = (attributes: Record<string, string | number | boolean> = {}) =>
  Object.entries(attributes).map(([key, value]) => ({ key, value: anyValue(value) }))

/** An OTLP JSON request with one resource per service, like the shop's four services send. */
export function otlpRequest(traceId: string, spans: FixtureSpan[], startNanos = nowNanos() - 60_000_000_000n) {
  const nanos = (ms: number) => String(startNanos + BigInt(Math.round(ms * 1_000_000)))
  const services = [...new Set(spans.map((span) => span.service))]
  return {
    resourceSpans: services.map((service) => ({
      resource: { attributes: keyValues({ 'service.name': service, 'process.runtime.name': 'bun' }) },
      scopeSpans: [
        {
          scope: { name: service },
          spans: spans
            .filter((span) => span.service === service)
            .map((span) => ({
              traceId,
              spanId: span.id,
              parentSpanId: span.parent,
              name: span.name,
              kind: 1,
              startTimeUnixNano: nanos(span.at),
              endTimeUnixNano: nanos(span.at + span.ms),
              attributes: keyValues({ ...span.attributes, ...(span.error ? { 'error.type': span.error } : {}) }),
              events: (span.events ?? []).map((event) => ({
                name: event.name,
                timeUnixNano: nanos(event.at),
                attributes: keyValues(event.attributes),
              })),
              status: span.error ? { code: 2, message: span.error } : { code: 0 },
            })),
        },
      ],
    })),
  }
}

/** An order whose payment timed out after retries: 5.1s, failing from payment.create up to the gateway. */
export function failedOrder(traceId: string, startNanos?: bigint) {
  return otlpRequest(
    traceId,
    [
      {
        id: 'a000000000000001',
        service: 'gateway',
        name: 'api_gateway.create_order',
        at: 0,
        ms: 5100,
        error: 'payment_timeout',
        attributes: { 'user.id': 'u1' },
      },
      {
        id: 'a000000000000002',
        parent: 'a000000000000001',
        service: 'order',
        name: 'order_service.create_order',
        at: 20,
        ms: 5050,
        error: 'payment_timeout',
      },
      {
        id: 'a000000000000003',
        parent: 'a000000000000002',
        service: 'order',
        name: 'check_inventory',
        at: 30,
        ms: 120,
      },
      {
        id: 'a000000000000004',
        parent: 'a000000000000003',
        service: 'inventory',
        name: 'inventory.check_availability',
        at: 40,
        ms: 100,
        attributes: { 'items.count': 2 },
      },
      {
        id: 'a000000000000005',
        parent: 'a000000000000002',
        service: 'order',
        name: 'create_order_record',
        at: 160,
        ms: 40,
      },
      {
        id: 'a000000000000006',
        parent: 'a000000000000002',
        service: 'order',
        name: 'create_payment',
        at: 300,
        ms: 4700,
        error: 'TIMEOUT',
      },
      {
        id: 'a000000000000007',
        parent: 'a000000000000006',
        service: 'payment',
        name: 'payment.create',
        at: 310,
        ms: 4680,
        error: 'TIMEOUT',
        attributes: { amount: 42 },
        events: [
          { name: 'retry_attempt', at: 1900, attributes: { attempt: 1 } },
          { name: 'retry_attempt', at: 3500, attributes: { attempt: 2 } },
        ],
      },
    ],
    startNanos,
  )
}

/** A quick order that succeeded: 80 ms. */
export function paidOrder(traceId: string, startNanos?: bigint) {
  return otlpRequest(
    traceId,
    [
      {
        id: 'b000000000000001',
        service: 'gateway',
        name: 'api_gateway.create_order',
        at: 0,
        ms: 80,
        attributes: { 'user.id': 'u2', vip: true },
      },
      {
        id: 'b000000000000002',
        parent: 'b000000000000001',
        service: 'order',
        name: 'order_service.create_order',
        at: 5,
        ms: 70,
      },
      {
        id: 'b000000000000003',
        parent: 'b000000000000002',
        service: 'payment',
        name: 'payment.create',
        at: 20,
        ms: 50,
        attributes: { amount: 10 },
      },
    ],
    startNanos,
  )
}

export const FAILED_TRACE = 'f0000000000000000000000000000001'
export const PAID_TRACE = 'c0000000000000000000000000000002'
