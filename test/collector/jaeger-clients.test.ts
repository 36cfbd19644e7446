import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { z } from 'zod'
import {
  gatewayError,
  operationsResponse,
  servicesResponse,
  traceSummariesResponse,
  tracesResult,
} from './api-v3-schemas.ts'
import { getParsed, nowNanos, postOtlp, testCollector } from './helpers.ts'
import { FAILED_TRACE, failedOrder, PAID_TRACE, paidOrder } from './payloads.ts'

/**
 * The requests Jaeger UI and Grafana's Jaeger data source send, query strings built as their source builds them:
 * - Jaeger UI ≤ 2.18 `packages/jaeger-ui/src/api/jaeger.ts` and `components/SearchTracePage/SearchForm.tsx`
 *   (`submitForm`; query-string's `stringify` sorts keys and writes null values as a bare key);
 * - Jaeger UI 2.19+ `packages/jaeger-ui/src/api/v3/client.ts` (`URLSearchParams`, in its order);
 * - Grafana's frontend `public/app/plugins/datasource/jaeger/datasource.ts` (`lookback: 'custom'` after the range);
 * - Grafana's backend `pkg/tsdb/jaeger/client.go` and `grpc_client.go` (Go's `url.Values.Encode` sorts keys; the
 *   api_v3 times are appended unencoded in Go's RFC3339Nano layout).
 */
let collector: Awaited<ReturnType<typeof testCollector>>
const OLD_TRACE = 'c0000000000000000000000000000003'
beforeAll(async () => {
  collector = await testCollector()
  for (const request of [
    failedOrder(FAILED_TRACE),
    paidOrder(PAID_TRACE),
    paidOrder(OLD_TRACE, nowNanos() - 3_600_000_000_000n),
  ]) {
    expect((await postOtlp(collector.app, request)).status).toBe(200)
  }
})
afterAll(() => collector.close())

/** The answer, parsed with the spec's schema (see `getParsed`). */
const get = <S extends z.ZodType>(schema: S, path: string, status?: number) =>
  getParsed(collector.app, schema, path, status)

/** What Jaeger UI's trace model and Grafana's `TraceResponse` (Go) read of a v1 trace. */
const tag = z.object({
  key: z.string(),
  type: z.enum(['string', 'bool', 'int64', 'float64', 'binary']),
  value: z.unknown(),
})
const jaegerTrace = z.object({
  traceID: z.string().regex(/^[0-9a-f]{32}$/),
  spans: z.array(
    z.object({
      traceID: z.string(),
      spanID: z.string().regex(/^[0-9a-f]{16}$/),
      operationName: z.string(),
      references: z.array(
        z.object({ refType: z.enum(['CHILD_OF', 'FOLLOWS_FROM']), traceID: z.string(), spanID: z.string() }),
      ),
      flags: z.number().int(),
      startTime: z.number().int(),
      duration: z.number().int(),
      tags: z.array(tag),
      logs: z.array(z.object({ timestamp: z.number().int(), fields: z.array(tag) })),
      processID: z.string(),
      warnings: z.array(z.string()).nullable(),
    }),
  ),
  processes: z.record(z.string(), z.object({ serviceName: z.string(), tags: z.array(tag) })),
  warnings: z.array(z.string()).nullable(),
})
const envelope = <T extends z.ZodType>(data: T) =>
  z.strictObject({
    data,
    total: z.number().int(),
    limit: z.number().int(),
    offset: z.number().int(),
    errors: z
      .array(z.object({ code: z.number().optional(), msg: z.string(), traceID: z.string().optional() }))
      .nullable(),
  })
const traces = envelope(z.array(jaegerTrace))
const errorEnvelope = envelope(z.null())
const dependencies = envelope(
  z.array(z.strictObject({ parent: z.string(), child: z.string(), callCount: z.number().int() })),
)
const ids = (found: z.infer<typeof traces>) => found.data.map((trace) => trace.traceID)

const micros = (msAgo: number) => (Date.now() - msAgo) * 1000
/** Go's RFC3339Nano: fraction without trailing zeros; with `offsetMinutes`, in that zone, its `+` unencoded. */
function goRfc3339Nano(msAgo: number, offsetMinutes = 0) {
  const local = new Date(Date.now() - msAgo + offsetMinutes * 60_000).toISOString()
  const fraction = local.slice(19, 23).replace(/\.?0+$/, '')
  if (offsetMinutes === 0) return `${local.slice(0, 19)}${fraction}Z`
  const hours = String(Math.floor(Math.abs(offsetMinutes) / 60)).padStart(2, '0')
  const minutes = String(Math.abs(offsetMinutes) % 60).padStart(2, '0')
  return `${local.slice(0, 19)}${fraction}${offsetMinutes > 0 ? '+' : '-'}${hours}:${minutes}`
}

describe('Jaeger UI up to 2.18 (v1 API)', () => {
  test('services, operations of a service, server operations', async () => {
    expect((await get(envelope(z.array(z.string())), '/api/services')).data).toEqual([
      'gateway',
      'inventory',
      'order',
      'payment',
    ])
    expect(
      (await get(envelope(z.array(z.string())), `/api/services/${encodeURIComponent('order')}/operations`)).data,
    ).toContain('create_payment')
    // fetchServiceServerOps: { service, spanKind: 'server' }
    expect(
      (
        await get(
          envelope(z.array(z.object({ name: z.string(), spanKind: z.string() }))),
          '/api/operations?service=gateway&spanKind=server',
        )
      ).data,
    ).toEqual([])
  })

  test('search from the form: a preset lookback with start and end, empty durations as bare keys', async () => {
    const found = await get(
      traces,
      `/api/traces?end=${micros(0)}&limit=20&lookback=1h&maxDuration&minDuration&service=gateway&start=${micros(3_600_000)}`,
    )
    expect(ids(found).sort()).toEqual([PAID_TRACE, FAILED_TRACE].sort())
    const tags = encodeURIComponent(JSON.stringify({ 'error.type': 'TIMEOUT' }))
    expect(
      ids(
        await get(
          traces,
          `/api/traces?end=${micros(0)}&limit=20&lookback=2d&maxDuration&minDuration=1s&operation=payment.create&service=payment&start=${micros(172_800_000)}&tags=${tags}`,
        ),
      ),
    ).toEqual([FAILED_TRACE])
    expect(
      ids(
        await get(
          traces,
          `/api/traces?end=${micros(0)}&limit=20&lookback=custom&maxDuration=100ms&minDuration&service=payment&start=${micros(7_200_000)}`,
        ),
      ).sort(),
    ).toEqual([PAID_TRACE, OLD_TRACE].sort())
  })

  test('compare and the search URL: several traceID, exactly those traces', async () => {
    expect(ids(await get(traces, `/api/traces?traceID=${OLD_TRACE}&traceID=${FAILED_TRACE}`))).toEqual([
      OLD_TRACE,
      FAILED_TRACE,
    ])
  })

  test('a trace by id, and the error envelope it shows for an unknown one', async () => {
    expect(ids(await get(traces, `/api/traces/${encodeURIComponent(FAILED_TRACE)}`))).toEqual([FAILED_TRACE])
    const missing = await get(errorEnvelope, '/api/traces/00000000000000000000000000000bad', 404)
    expect(missing.errors).toEqual([{ code: 404, msg: 'trace 00000000000000000000000000000bad not found' }])
  })

  test('the dependency graph: endTs now, a week back (DEFAULT_DEPENDENCY_LOOKBACK)', async () => {
    expect((await get(dependencies, `/api/dependencies?endTs=${Date.now()}&lookback=604800000`)).data).toEqual([
      { parent: 'gateway', child: 'order', callCount: 3 },
      { parent: 'order', child: 'inventory', callCount: 1 },
      { parent: 'order', child: 'payment', callCount: 3 },
    ])
  })
})

describe('Jaeger UI 2.19+ (api_v3)', () => {
  test('fetchServices and fetchSpanNames', async () => {
    expect((await get(servicesResponse, '/api/v3/services')).services).toEqual([
      'gateway',
      'inventory',
      'order',
      'payment',
    ])
    expect(
      (await get(operationsResponse, `/api/v3/operations?service=${encodeURIComponent('payment')}`)).operations,
    ).toEqual([{ name: 'payment.create', spanKind: 'internal' }])
  })

  test('fetchTraceSummaries, with and without a service (ALL_SERVICES leaves it off)', async () => {
    const summaries = async (query: { service?: string; operation?: string; tags?: string; minDuration?: string }) => {
      const params = new URLSearchParams()
      if (query.service) params.set('query.serviceName', query.service)
      if (query.operation) params.set('query.operationName', query.operation)
      params.set('query.startTimeMin', new Date(micros(7_200_000) / 1000).toISOString())
      params.set('query.startTimeMax', new Date(micros(0) / 1000).toISOString())
      params.set('query.searchDepth', '20')
      if (query.minDuration) params.set('query.durationMin', query.minDuration)
      if (query.tags) params.set('query.attributes', query.tags)
      return (await get(traceSummariesResponse, `/api/v3/trace-summaries?${params.toString()}`)).summaries
    }
    expect((await summaries({ service: 'payment' })).map((summary) => summary.traceId).sort()).toEqual(
      [FAILED_TRACE, PAID_TRACE, OLD_TRACE].sort(),
    )
    const [failed] = await summaries({ service: 'payment', minDuration: '1s', tags: '{"amount":"42"}' })
    expect(failed).toMatchObject({ traceId: FAILED_TRACE, rootServiceName: 'gateway', spanCount: 7, errorSpanCount: 4 })
    expect(await summaries({})).toHaveLength(3)
  })

  test('a trace still loads from v1', async () => {
    expect(ids(await get(traces, `/api/traces/${PAID_TRACE}`))).toEqual([PAID_TRACE])
  })
})

describe("Grafana's Jaeger data source", () => {
  test('frontend search: the range in µs, then lookback=custom', async () => {
    const tags = encodeURIComponent(JSON.stringify({ amount: '42' }))
    expect(
      ids(
        await get(
          traces,
          `/api/traces?service=payment&tags=${tags}&minDuration=1s&limit=20&start=${micros(900_000)}&end=${micros(0)}&lookback=custom`,
        ),
      ),
    ).toEqual([FAILED_TRACE])
    expect(
      ids(await get(traces, `/api/traces?service=gateway&start=${micros(7_200_000)}&end=${micros(0)}&lookback=custom`)),
    ).toHaveLength(3)
  })

  test('backend v1: search (keys sorted, no lookback), trace with its ms range, services, operations, dependencies', async () => {
    const tags = encodeURIComponent('{"error":"true"}')
    expect(
      ids(
        await get(
          traces,
          `/api/traces?end=${micros(0)}&limit=20&maxDuration=10s&minDuration=1ms&operation=api_gateway.create_order&service=gateway&start=${micros(900_000)}&tags=${tags}`,
        ),
      ),
    ).toEqual([FAILED_TRACE])
    expect(
      ids(await get(traces, `/api/traces/${FAILED_TRACE}?end=${Date.now()}&start=${Date.now() - 900_000}`)),
    ).toEqual([FAILED_TRACE])
    expect((await get(envelope(z.array(z.string())), '/api/services')).data).toHaveLength(4)
    expect((await get(envelope(z.array(z.string())), '/api/services/payment/operations')).data).toEqual([
      'payment.create',
    ])
    const end = Date.now()
    const start = end - 3_600_000 * 2
    expect((await get(dependencies, `/api/dependencies?endTs=${end}&lookback=${end - start}`)).data).toHaveLength(3)
  })

  test('backend api_v3: search with snake_case names and raw RFC3339Nano times, in UTC or an offset', async () => {
    const encoded = new URLSearchParams({ 'query.duration_min': '1s', 'query.service_name': 'payment' }).toString()
    const window = (offset: number) =>
      `&query.start_time_min=${goRfc3339Nano(900_000, offset)}&query.start_time_max=${goRfc3339Nano(-1000, offset)}`
    for (const offset of [0, 120, -300]) {
      const result = await get(tracesResult, `/api/v3/traces?${encoded}${window(offset)}`)
      const traceIds = result.result.resourceSpans.flatMap((rs) =>
        rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => s.traceId)),
      )
      expect([...new Set(traceIds)]).toEqual([FAILED_TRACE])
    }
    const attributes = new URLSearchParams({ 'query.attributes': '{"vip":"true"}', 'query.service_name': 'gateway' })
    expect((await get(tracesResult, `/api/v3/traces?${attributes}${window(0)}`)).result.resourceSpans.length).toBe(3)
    // Nothing found is Jaeger's 404, which Grafana reads from error.httpCode.
    const none = await get(gatewayError, `/api/v3/traces?query.service_name=nobody${window(0)}`, 404)
    expect(none.error.httpCode).toBe(404)
  })

  test('backend api_v3: a trace, with start_time and end_time when the data source asks for them', async () => {
    const result = await get(
      tracesResult,
      `/api/v3/traces/${PAID_TRACE}?start_time=${goRfc3339Nano(900_000)}&end_time=${goRfc3339Nano(0)}`,
    )
    expect(result.result.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans))).toHaveLength(3)
  })
})
