import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { z } from 'zod'
import {
  dependenciesResponse,
  gatewayError,
  operationsResponse,
  servicesResponse,
  traceSummariesResponse,
  tracesResult,
} from './api-v3-schemas.ts'
import { getParsed, nowNanos, postOtlp, testCollector } from './helpers.ts'
import {
  CHILD_ID,
  FAILED_TRACE,
  failedOrder,
  handWrittenRequest,
  LINKED_SPAN,
  LINKED_TRACE,
  ORPHAN_ID,
  PAID_TRACE,
  paidOrder,
  ROOT_ID,
  TRACE_ID,
} from './payloads.ts'

let collector: Awaited<ReturnType<typeof testCollector>>
const OLD_TRACE = 'c0000000000000000000000000000003'
const CHECKOUT_TRACE = TRACE_ID.toLowerCase()
beforeAll(async () => {
  collector = await testCollector()
  for (const request of [
    failedOrder(FAILED_TRACE),
    paidOrder(PAID_TRACE),
    paidOrder(OLD_TRACE, nowNanos() - 3_600_000_000_000n),
    handWrittenRequest(),
  ]) {
    expect((await postOtlp(collector.app, request)).status).toBe(200)
  }
})
afterAll(() => collector.close())

/** The answer, parsed with the spec's schema (see `getParsed`). */
const get = <S extends z.ZodType>(schema: S, path: string, status?: number) =>
  getParsed(collector.app, schema, path, status)

const ago = (ms: number) => new Date(Date.now() - ms).toISOString()
const lastHour = () => `query.startTimeMin=${ago(3_599_000)}&query.startTimeMax=${ago(-1000)}`
const lastDay = () => `query.startTimeMin=${ago(86_400_000)}&query.startTimeMax=${ago(-1000)}`

const traceIdsOf = (result: z.infer<typeof tracesResult>) => [
  ...new Set(
    result.result.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => s.traceId))),
  ),
]
const spansOf = (result: z.infer<typeof tracesResult>) =>
  result.result.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans))

describe('services and operations', () => {
  test('GetServices', async () => {
    expect(await get(servicesResponse, '/api/v3/services')).toEqual({
      services: ['checkout', 'gateway', 'inventory', 'order', 'payment'],
    })
  })

  test('GetOperations: by kind; no kind is listed as internal, as Jaeger does', async () => {
    expect(await get(operationsResponse, '/api/v3/operations?service=checkout')).toEqual({
      operations: [
        { name: 'POST /checkout', spanKind: 'server' },
        { name: 'create_payment', spanKind: 'client' },
        { name: 'late_callback', spanKind: 'internal' },
      ],
    })
    expect(await get(operationsResponse, '/api/v3/operations?service=checkout&spanKind=client')).toEqual({
      operations: [{ name: 'create_payment', spanKind: 'client' }],
    })
    expect(await get(operationsResponse, '/api/v3/operations?service=checkout&span_kind=server')).toEqual({
      operations: [{ name: 'POST /checkout', spanKind: 'server' }],
    })
    expect(await get(operationsResponse, '/api/v3/operations')).toEqual({ operations: [] })
  })
})

describe('GetTrace: OTLP JSON under result', () => {
  test('resource, scope, ids as hex, times as decimal nanoseconds, enums as integers', async () => {
    const result = await get(tracesResult, `/api/v3/traces/${CHECKOUT_TRACE}`)
    expect(result.result.resourceSpans).toHaveLength(1)
    const [resourceSpans] = result.result.resourceSpans
    expect(resourceSpans!.resource).toEqual({
      attributes: [
        { key: 'service.name', value: { stringValue: 'checkout' } },
        { key: 'host.name', value: { stringValue: 'box-1' } },
      ],
    })
    expect(resourceSpans!.scopeSpans.map((scopeSpans) => scopeSpans.scope)).toEqual([
      { name: 'hand-written', version: '1.2.3' },
    ])
    const spans = spansOf(result)
    const root = spans.find((span) => span.spanId === ROOT_ID.toLowerCase())!
    expect(root).toMatchObject({ traceId: CHECKOUT_TRACE, name: 'POST /checkout', kind: 2 })
    expect(root.parentSpanId).toBeUndefined()
    expect(BigInt(root.endTimeUnixNano) - BigInt(root.startTimeUnixNano)).toBe(2_000_000_000n)
    expect(root.status).toEqual({ code: 2, message: 'upstream failed' })
    expect(root.attributes).toEqual([
      { key: 'http.request.method', value: { stringValue: 'POST' } },
      { key: 'http.response.status_code', value: { intValue: '502' } },
      { key: 'retries', value: { intValue: '3' } },
      { key: 'big', value: { intValue: '9007199254740993' } },
      { key: 'ratio', value: { doubleValue: 0.25 } },
      { key: 'cached', value: { boolValue: false } },
      { key: 'raw', value: { bytesValue: 'AQID' } },
      // Stored as Jaeger tags, arrays and maps come back as their JSON text.
      { key: 'tags', value: { stringValue: '["a",2]' } },
      { key: 'map', value: { stringValue: '{"k":"v","n":true}' } },
    ])
    const child = spans.find((span) => span.spanId === CHILD_ID.toLowerCase())!
    expect(child).toMatchObject({
      parentSpanId: ROOT_ID.toLowerCase(),
      kind: 3,
      status: { code: 2, message: 'TIMEOUT' },
    })
    expect(child.events!.map((event) => [event.name, event.attributes])).toEqual([
      ['retry_attempt', [{ key: 'attempt', value: { intValue: '1' } }]],
      ['exception', [{ key: 'exception.message', value: { stringValue: 'timed out' } }]],
    ])
    expect(BigInt(child.events![0]!.timeUnixNano) - BigInt(root.startTimeUnixNano)).toBe(500_000_000n)
    expect(child.links).toEqual([
      {
        traceId: LINKED_TRACE,
        spanId: LINKED_SPAN,
        traceState: 'vendor=1',
        attributes: [{ key: 'link.reason', value: { stringValue: 'batch' } }],
      },
    ])
    // Unset status and kind 0 are proto3 defaults: left out.
    const orphan = spans.find((span) => span.spanId === ORPHAN_ID.toLowerCase())!
    expect(orphan.status).toEqual({})
    expect(orphan.kind).toBe(1)
  })

  test('one resource per service, ids of any case, base64 ids, and the optional window checked', async () => {
    const result = await get(tracesResult, `/api/v3/traces/${FAILED_TRACE.toUpperCase()}`)
    expect(result.result.resourceSpans.map((rs) => rs.resource!.attributes![0]!.value)).toEqual([
      { stringValue: 'gateway' },
      { stringValue: 'order' },
      { stringValue: 'inventory' },
      { stringValue: 'payment' },
    ])
    expect(spansOf(result)).toHaveLength(7)
    const base64 = encodeURIComponent(Buffer.from(PAID_TRACE, 'hex').toString('base64'))
    expect(traceIdsOf(await get(tracesResult, `/api/v3/traces/${base64}`))).toEqual([PAID_TRACE])
    const window = `start_time=${ago(86_400_000)}&end_time=${ago(-1000)}`
    expect(traceIdsOf(await get(tracesResult, `/api/v3/traces/${PAID_TRACE}?${window}&rawTraces=true`))).toEqual([
      PAID_TRACE,
    ])
  })

  test('errors as GRPCGatewayError: unknown 404, malformed 400', async () => {
    expect(await get(gatewayError, '/api/v3/traces/0123456789abcdef0123456789abcdef', 404)).toEqual({
      error: {
        grpcCode: 5,
        httpCode: 404,
        message: 'trace 0123456789abcdef0123456789abcdef not found',
        httpStatus: 'Not Found',
      },
    })
    expect((await get(gatewayError, '/api/v3/traces/xyz!', 400)).error).toMatchObject({ grpcCode: 3, httpCode: 400 })
    expect((await get(gatewayError, `/api/v3/traces/${PAID_TRACE}?startTime=yesterday`, 400)).error.message).toBe(
      'malformed parameter startTime: not an RFC 3339 time like 2006-01-02T15:04:05.999Z: yesterday',
    )
    expect((await get(gatewayError, `/api/v3/traces/${PAID_TRACE}?raw_traces=perhaps`, 400)).error.message).toBe(
      'raw_traces: not a boolean: perhaps',
    )
  })
})

describe('FindTraces', () => {
  const find = async (query: string) => traceIdsOf(await get(tracesResult, `/api/v3/traces?${query}`))

  test('by service, operation, durations and attributes, in the window asked', async () => {
    expect(await find(`query.serviceName=order&query.operationName=create_payment&${lastHour()}`)).toEqual([
      FAILED_TRACE,
    ])
    expect((await find(`query.serviceName=payment&${lastHour()}`)).sort()).toEqual([PAID_TRACE, FAILED_TRACE].sort())
    expect((await find(`query.serviceName=payment&${lastDay()}`)).sort()).toEqual(
      [PAID_TRACE, FAILED_TRACE, OLD_TRACE].sort(),
    )
    expect(await find(`query.durationMin=1s&query.durationMax=4.9s&query.serviceName=payment&${lastDay()}`)).toEqual([
      FAILED_TRACE,
    ])
    const attributes = encodeURIComponent(JSON.stringify({ amount: '42' }))
    expect(await find(`query.attributes=${attributes}&${lastDay()}`)).toEqual([FAILED_TRACE])
    expect(await find(`query.attributes=${encodeURIComponent('{"error":"true"}')}&${lastDay()}`)).toEqual(
      expect.arrayContaining([FAILED_TRACE, CHECKOUT_TRACE]),
    )
    expect(await find(`query.serviceName=payment&query.searchDepth=1&${lastDay()}`)).toHaveLength(1)
  })

  test('the start-time window: inclusive minimum, exclusive maximum, to the nanosecond', async () => {
    const paid = spansOf(await get(tracesResult, `/api/v3/traces/${OLD_TRACE}`))
    const start = paid.find((span) => span.name === 'payment.create')!.startTimeUnixNano
    const iso = (nanos: bigint) =>
      `${new Date(Number(nanos / 1_000_000n)).toISOString().slice(0, -1)}${String(nanos % 1_000_000n).padStart(6, '0')}Z`
    const at = BigInt(start)
    const window = (min: bigint, max: bigint) =>
      `query.serviceName=payment&query.startTimeMin=${iso(min)}&query.startTimeMax=${iso(max)}`
    expect(await find(window(at, at + 1n))).toEqual([OLD_TRACE])
    expect(await find(window(at - 5000n, at + 1000n))).toEqual([OLD_TRACE])
    const empty = await get(gatewayError, `/api/v3/traces?${window(at - 5000n, at)}`, 404)
    expect(empty.error).toMatchObject({ httpCode: 404, message: 'No traces found' })
    expect((await get(gatewayError, `/api/v3/traces?${window(at + 1n, at + 5000n)}`, 404)).error.httpCode).toBe(404)
  })

  test('POST with a FindTracesRequest body, camelCase or snake_case fields', async () => {
    const post = async (query: Record<string, unknown>) => {
      const response = await collector.app.request('/api/v3/traces', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query }),
      })
      expect(response.status).toBe(200)
      return traceIdsOf(tracesResult.parse(await response.json()))
    }
    const window = { startTimeMin: ago(86_400_000), startTimeMax: ago(-1000) }
    expect(await post({ ...window, serviceName: 'inventory' })).toEqual([FAILED_TRACE])
    expect(await post({ ...window, service_name: 'payment', duration_min: '1s' })).toEqual([FAILED_TRACE])
    expect(await post({ ...window, attributes: { vip: 'true' }, searchDepth: 1 })).toEqual([PAID_TRACE])
  })

  test('400s as Jaeger: the window is required and ordered, values well formed; filter is refused', async () => {
    const error = async (query: string) => (await get(gatewayError, `/api/v3/traces?${query}`, 400)).error
    expect(await error('query.serviceName=payment')).toEqual({
      grpcCode: 3,
      httpCode: 400,
      message: 'query.startTimeMin and query.startTimeMax are required',
      httpStatus: 'Bad Request',
    })
    expect((await error(`query.startTimeMin=${ago(0)}&query.startTimeMax=${ago(1000)}`)).message).toBe(
      'query.startTimeMin must be before query.startTimeMax',
    )
    expect(
      (await error('query.start_time_min=2024-02-30T00:00:00Z&query.start_time_max=2024-03-01T00:00:00Z')).message,
    ).toBe('malformed parameter query.start_time_min: not a valid date and time: 2024-02-30T00:00:00Z')
    expect((await error(`${lastHour()}&query.searchDepth=many`)).message).toBe(
      'malformed parameter query.searchDepth: not an integer: many',
    )
    expect((await error(`${lastHour()}&query.duration_min=fast`)).message).toBe(
      'malformed parameter query.duration_min: not a duration like 1s or 250ms: fast',
    )
    expect((await error(`${lastHour()}&query.attributes=%5B1%5D`)).message).toBe(
      'malformed parameter query.attributes: not a JSON object of attribute values',
    )
    const filter = encodeURIComponent('{"op":"eq","args":[{"attr":{"key":"amount"}},{"scalar":{"value":"42"}}]}')
    expect((await error(`${lastHour()}&query.filter=${filter}`)).message).toContain('query.filter')
    // Go takes offsets up to +24:00 (and 60 minutes), no further.
    expect(
      (await error('query.start_time_min=2024-03-01T00:00:00%2B99:99&query.start_time_max=2024-03-02T00:00:00Z'))
        .message,
    ).toBe('malformed parameter query.start_time_min: not a valid time zone offset: 2024-03-01T00:00:00+99:99')
    const offset = await collector.app.request(
      `/api/v3/trace-summaries?query.start_time_min=${encodeURIComponent('2024-03-01T00:00:00+24:00')}&query.start_time_max=${ago(0)}`,
    )
    expect(offset.status).toBe(200)
  })

  test('attributes: values that are not strings, numbers or booleans, or more than 64 of them, are a 400', async () => {
    const error = async (attributes: string) =>
      (await get(gatewayError, `/api/v3/traces?${lastHour()}&query.attributes=${encodeURIComponent(attributes)}`, 400))
        .error.message
    expect(await error(`{"a":${'['.repeat(7000)}${']'.repeat(7000)}}`)).toBe(
      'query.attributes: the value of a is not a string, number or boolean',
    )
    const many = JSON.stringify(Object.fromEntries(Array.from({ length: 1100 }, (_, index) => [`k${index}`, 'v'])))
    expect(await error(many)).toBe('query.attributes: at most 64 tags in one search')
    // In a POST body: a value nested deeper than 32 is refused before anything turns it into text, and a body over
    // 64 KiB before it is read whole.
    const post = (body: string) =>
      collector.app.request('/api/v3/trace-summaries', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      })
    const window = `"startTimeMin":"${ago(3_600_000)}","startTimeMax":"${ago(0)}"`
    const deep = await post(`{"query":{${window},"attributes":{"a":${'['.repeat(5_000)}${']'.repeat(5_000)}}}}`)
    expect(deep.status).toBe(400)
    expect(((await deep.json()) as { error: { message: string } }).error.message).toBe(
      'malformed parameter query.attributes: nested too deep',
    )
    const big = await post(`{"query":{${window},"serviceName":"${'x'.repeat(70_000)}"}}`)
    expect(big.status).toBe(400)
    expect(((await big.json()) as { error: { message: string } }).error.message).toBe('the body is over 64 KiB')
  })
})

describe('FindTraceSummaries', () => {
  test("one row per trace, computed as Jaeger's query service does", async () => {
    const { summaries } = await get(
      traceSummariesResponse,
      `/api/v3/trace-summaries?query.serviceName=inventory&${lastHour()}`,
    )
    expect(summaries).toHaveLength(1)
    const [summary] = summaries
    expect(summary).toMatchObject({
      traceId: FAILED_TRACE,
      rootServiceName: 'gateway',
      rootOperationName: 'api_gateway.create_order',
      spanCount: 7,
      errorSpanCount: 4,
      orphanSpanCount: 0,
      services: [
        { name: 'gateway', spanCount: 1, errorSpanCount: 1 },
        { name: 'inventory', spanCount: 1, errorSpanCount: 0 },
        { name: 'order', spanCount: 4, errorSpanCount: 2 },
        { name: 'payment', spanCount: 1, errorSpanCount: 1 },
      ],
    })
    expect(BigInt(summary!.maxEndTimeUnixNano!) - BigInt(summary!.minStartTimeUnixNano!)).toBe(5_100_000_000n)
  })

  test('an orphan counts; no match is an empty list, not a 404', async () => {
    const { summaries } = await get(
      traceSummariesResponse,
      `/api/v3/trace-summaries?query.serviceName=checkout&${lastDay()}`,
    )
    expect(
      summaries.map(({ traceId, rootOperationName, orphanSpanCount }) => ({
        traceId,
        rootOperationName,
        orphanSpanCount,
      })),
    ).toEqual([{ traceId: CHECKOUT_TRACE, rootOperationName: 'POST /checkout', orphanSpanCount: 1 }])
    expect(await get(traceSummariesResponse, `/api/v3/trace-summaries?query.serviceName=nobody&${lastDay()}`)).toEqual({
      summaries: [],
    })
    expect((await get(gatewayError, '/api/v3/trace-summaries', 400)).error.httpCode).toBe(400)
  })
})

describe('GetDependencies and unknown paths', () => {
  test('dependencies of a start and end time, callCount a uint64 string', async () => {
    expect(
      await get(dependenciesResponse, `/api/v3/dependencies?startTime=${ago(600_000)}&endTime=${ago(-1000)}`),
    ).toEqual({
      dependencies: [
        { parent: 'gateway', child: 'order', callCount: '2' },
        { parent: 'order', child: 'inventory', callCount: '1' },
        { parent: 'order', child: 'payment', callCount: '2' },
      ],
    })
    expect((await get(gatewayError, '/api/v3/dependencies', 400)).error.message).toBe(
      'startTime and endTime are required',
    )
  })

  test('an unknown path under /api/v3 is a GRPCGatewayError 404', async () => {
    expect(await get(gatewayError, '/api/v3/nothing', 404)).toEqual({
      error: { grpcCode: 5, httpCode: 404, message: 'no route for GET /api/v3/nothing', httpStatus: 'Not Found' },
    })
  })
})
