import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { JaegerTrace } from '../../collector/jaeger.ts'
import type { JaegerEnvelope } from '../../collector/jaeger-envelope.ts'
import { nowNanos, postOtlp, testCollector } from './helpers.ts'
import { FAILED_TRACE, failedOrder, otlpRequest, PAID_TRACE, paidOrder } from './payloads.ts'

let collector: Awaited<ReturnType<typeof testCollector>>
const OLD_TRACE = 'c0000000000000000000000000000003'
const DAYS_AGO_TRACE = 'c0000000000000000000000000000004'
const WEEKS_AGO_TRACE = 'c0000000000000000000000000000005'
/** A trace from a 64-bit-id client: its OTLP id is the 64 bits left-padded with zeros. */
const SHORT_ID = '1234567890abcdef'
const SHORT_TRACE = `0000000000000000${SHORT_ID}`
const HOUR = 3_600_000_000_000n
const DAY = 24n * HOUR

/** One span of each OTLP flags value: sampled with the parent local (257) or remote (769), and not sampled (256). */
function flaggedTrace() {
  const request = otlpRequest(SHORT_TRACE, [
    { id: 'd000000000000001', service: 'gateway', name: 'GET /flags', at: 0, ms: 10 },
    { id: 'd000000000000002', parent: 'd000000000000001', service: 'order', name: 'remote', at: 1, ms: 5 },
    { id: 'd000000000000003', parent: 'd000000000000002', service: 'order', name: 'unsampled', at: 2, ms: 1 },
  ])
  const flags = [257, 769, 256]
  for (const resource of request.resourceSpans)
    for (const span of resource.scopeSpans[0]!.spans)
      Object.assign(span, { flags: flags[Number(span.spanId.at(-1)) - 1] })
  return request
}

beforeAll(async () => {
  collector = await testCollector({ maxAgeHours: 24 * 30 })
  // The recent traces a millisecond apart, the failed one first: spans that start together come in no set order.
  const minuteAgo = nowNanos() - 60_000_000_000n
  for (const request of [
    failedOrder(FAILED_TRACE, minuteAgo - 2_000_000n),
    paidOrder(PAID_TRACE, minuteAgo - 1_000_000n),
    paidOrder(OLD_TRACE, nowNanos() - HOUR),
    paidOrder(DAYS_AGO_TRACE, nowNanos() - 3n * DAY),
    paidOrder(WEEKS_AGO_TRACE, nowNanos() - 10n * DAY),
    flaggedTrace(),
  ]) {
    expect((await postOtlp(collector.app, request)).status).toBe(200)
  }
})
afterAll(() => collector.close())

async function get<T = JaegerEnvelope<unknown>>(path: string, status = 200): Promise<T> {
  const response = await collector.app.request(path)
  expect(response.status).toBe(status)
  expect(response.headers.get('content-type')).toContain('application/json')
  return (await response.json()) as T
}

const search = async (query: string) =>
  (await get<JaegerEnvelope<JaegerTrace[]>>(`/api/traces?${query}`)).data.map((trace) => trace.traceID)

/** The recent traces by their payment spans, newest first: the failed order's starts 310 ms in, the paid one's 20. */
const RECENT = [FAILED_TRACE, PAID_TRACE]

/** Jaeger's error envelope, as Jaeger UI and Grafana read it. */
const jaegerError = (code: number, msg: string) => ({
  data: null,
  total: 0,
  limit: 0,
  offset: 0,
  errors: [{ code, msg }],
})

const ALL_PAID = [PAID_TRACE, OLD_TRACE, DAYS_AGO_TRACE, WEEKS_AGO_TRACE]

describe('query API', () => {
  test('services and operations, in the envelope with total', async () => {
    expect(await get('/api/services')).toEqual({
      data: ['gateway', 'inventory', 'order', 'payment'],
      total: 4,
      limit: 0,
      offset: 0,
      errors: null,
    })
    expect((await get('/api/services/order/operations')).data).toEqual([
      'check_inventory',
      'create_order_record',
      'create_payment',
      'order_service.create_order',
      'remote',
      'unsampled',
    ])
    expect(await get('/api/operations?service=payment')).toEqual({
      data: [{ name: 'payment.create', spanKind: 'internal' }],
      total: 1,
      limit: 0,
      offset: 0,
      errors: null,
    })
    expect((await get('/api/operations?service=payment&spanKind=server')).data).toEqual([])
    expect((await get('/api/services/nobody/operations')).data).toEqual([])
  })

  test('search by service, operation and time, newest first', async () => {
    expect(await search('service=gateway')).toEqual([SHORT_TRACE, PAID_TRACE, FAILED_TRACE, ...ALL_PAID.slice(1)])
    expect(await search('service=inventory')).toEqual([FAILED_TRACE])
    expect(await search('service=order&operation=create_payment')).toEqual([FAILED_TRACE])
    expect(await search('service=gateway&limit=1')).toEqual([SHORT_TRACE])
    const tenMinutesAgo = (Date.now() - 600_000) * 1000
    const twoHoursAgo = (Date.now() - 7_200_000) * 1000
    expect(await search(`service=payment&start=${tenMinutesAgo}`)).toEqual(RECENT)
    expect(await search(`service=payment&start=${twoHoursAgo}&end=${tenMinutesAgo}`)).toEqual([OLD_TRACE])
    expect(await search(`service=payment&end=${twoHoursAgo}`)).toEqual([DAYS_AGO_TRACE, WEEKS_AGO_TRACE])
  })

  test("lookback: Jaeger UI's presets and Go durations count back from now; start or end win over it", async () => {
    const payments = (query: string) => search(`service=payment&${query}`)
    expect(await payments('lookback=10m')).toEqual(RECENT)
    expect(await payments('lookback=2h')).toEqual([...RECENT, OLD_TRACE])
    expect(await payments('lookback=2d')).toEqual([...RECENT, OLD_TRACE])
    expect(await payments('lookback=7d')).toEqual([...RECENT, OLD_TRACE, DAYS_AGO_TRACE])
    expect(await payments('lookback=2w')).toEqual([...RECENT, ...ALL_PAID.slice(1)])
    expect(await payments('lookback=custom')).toEqual([...RECENT, ...ALL_PAID.slice(1)])
    const twoHoursAgo = (Date.now() - 7_200_000) * 1000
    // As in Jaeger, which never reads lookback: even a malformed one is ignored next to start or end.
    expect(await payments(`lookback=10m&start=${twoHoursAgo}`)).toEqual([...RECENT, OLD_TRACE])
    expect(await search(`service=payment&lookback=soon&end=${twoHoursAgo}`)).toEqual([DAYS_AGO_TRACE, WEEKS_AGO_TRACE])
  })

  test('search by duration, as Go durations', async () => {
    expect(await search('service=payment&minDuration=1s')).toEqual([FAILED_TRACE])
    expect(await search('service=payment&maxDuration=100ms')).toEqual([PAID_TRACE, ...ALL_PAID.slice(1)])
    expect(await search('minDuration=4.5s&maxDuration=4m')).toEqual([FAILED_TRACE])
    expect(await search('service=payment&minDuration=50ms&maxDuration=50ms')).toEqual(ALL_PAID)
    // 0 bounds nothing, as in Jaeger.
    expect(await search('service=payment&minDuration=1s&maxDuration=0')).toEqual([FAILED_TRACE])
    expect(await search('service=payment&minDuration=0&maxDuration=100ms')).toEqual([PAID_TRACE, ...ALL_PAID.slice(1)])
  })

  test('search by tags: error:true, attributes of any type, resource attributes, JSON form', async () => {
    expect(await search('tags=error:true')).toEqual([FAILED_TRACE])
    expect(await search('service=gateway&tags=error:false&lookback=2h')).toEqual([SHORT_TRACE, PAID_TRACE, OLD_TRACE])
    expect(await search('tags=amount:42')).toEqual([FAILED_TRACE])
    expect(await search('tags=vip:true&lookback=2h')).toEqual([PAID_TRACE, OLD_TRACE])
    expect(await search(`tags=${encodeURIComponent('user.id:u1 error.type:TIMEOUT')}`)).toEqual([])
    expect(await search(`tags=${encodeURIComponent('{"error.type":"TIMEOUT"}')}`)).toEqual([FAILED_TRACE])
    expect(await search('tag=process.runtime.name:bun&service=inventory')).toEqual([FAILED_TRACE])
    // Repeated, tags objects add up as in Jaeger.
    expect(
      await search(`tags=${encodeURIComponent('{"user.id":"u1"}')}&tags=${encodeURIComponent('{"amount":"42"}')}`),
    ).toEqual([])
  })

  test('several traceID: exactly those traces, in the order asked, the others ignored', async () => {
    expect(await search(`traceID=${PAID_TRACE}&traceID=${FAILED_TRACE}`)).toEqual([PAID_TRACE, FAILED_TRACE])
    // Other criteria do not filter a search by id, as in Jaeger.
    expect(await search(`traceID=${OLD_TRACE}&service=inventory&lookback=1m`)).toEqual([OLD_TRACE])
    expect(await search(`traceID=${SHORT_ID}&traceID=${FAILED_TRACE.toUpperCase()}`)).toEqual([
      SHORT_TRACE,
      FAILED_TRACE,
    ])
    const missing = 'ffffffffffffffffffffffffffffffff'
    expect(await get(`/api/traces?traceID=${PAID_TRACE}&traceID=${missing}`)).toMatchObject({
      data: [{ traceID: PAID_TRACE }],
      errors: [{ msg: 'trace not found', traceID: missing }],
    })
  })

  test('a trace by id: 128-bit in any case, 64-bit (left-padded), base64', async () => {
    const trace = (await get<JaegerEnvelope<JaegerTrace[]>>(`/api/traces/${FAILED_TRACE.toUpperCase()}`)).data[0]!
    expect(trace.spans).toHaveLength(7)
    expect(
      Object.values(trace.processes)
        .map((process) => process.serviceName)
        .sort(),
    ).toEqual(['gateway', 'inventory', 'order', 'payment'])
    const ids = async (path: string) =>
      (await get<JaegerEnvelope<JaegerTrace[]>>(path)).data.map((found) => found.traceID)
    expect(await ids(`/api/traces/${SHORT_ID}`)).toEqual([SHORT_TRACE])
    expect(await ids(`/api/traces/${SHORT_TRACE}`)).toEqual([SHORT_TRACE])
    expect(await ids(`/api/traces/${Buffer.from(PAID_TRACE, 'hex').toString('base64')}`)).toEqual([PAID_TRACE])
    expect(await ids(`/api/traces/${Buffer.from(SHORT_ID, 'hex').toString('base64url')}`)).toEqual([SHORT_TRACE])
  })

  test("flags as Jaeger's: 1 sampled, whatever OTLP says of the parent; 0 not sampled", async () => {
    const trace = (await get<JaegerEnvelope<JaegerTrace[]>>(`/api/traces/${SHORT_TRACE}`)).data[0]!
    expect(Object.fromEntries(trace.spans.map((span) => [span.operationName, span.flags]))).toEqual({
      'GET /flags': 1,
      remote: 1,
      unsampled: 0,
    })
  })

  test('dependencies: endTs and lookback in milliseconds, a day back by default, by service', async () => {
    const endTs = Date.now()
    expect(await get(`/api/dependencies?endTs=${endTs}&lookback=600000`)).toEqual({
      data: [
        { parent: 'gateway', child: 'order', callCount: 3 },
        { parent: 'order', child: 'inventory', callCount: 1 },
        { parent: 'order', child: 'payment', callCount: 2 },
      ],
      total: 0,
      limit: 0,
      offset: 0,
      errors: null,
    })
    expect((await get('/api/dependencies')).data).toEqual([
      { parent: 'gateway', child: 'order', callCount: 4 },
      { parent: 'order', child: 'inventory', callCount: 1 },
      { parent: 'order', child: 'payment', callCount: 3 },
    ])
    expect((await get(`/api/dependencies?endTs=${endTs}&lookback=${30 * 86_400_000}&service=inventory`)).data).toEqual([
      { parent: 'order', child: 'inventory', callCount: 1 },
    ])
    expect((await get(`/api/dependencies?endTs=${endTs - 3_600_000 * 24 * 5}&lookback=3600000`)).data).toEqual([])
  })
})

describe("errors in Jaeger's envelope, with Jaeger's status codes", () => {
  test('an unknown trace is a 404, a malformed id a 400', async () => {
    expect(await get('/api/traces/0123456789abcdef0123456789abcdef', 404)).toEqual(
      jaegerError(404, 'trace 0123456789abcdef0123456789abcdef not found'),
    )
    expect(await get('/api/traces/xyz', 400)).toEqual(jaegerError(400, 'not a trace id: xyz'))
    expect(await get('/api/traces/0123456789abcdef0123456789abcdef0', 400)).toMatchObject({ errors: [{ code: 400 }] })
    expect(await get('/api/traces?traceID=nope', 400)).toEqual(jaegerError(400, 'cannot parse traceID param: nope'))
  })

  test('maxDuration below minDuration, a missing service for operations, bad tags', async () => {
    expect(await get('/api/traces?service=gateway&minDuration=2s&maxDuration=1s', 400)).toEqual(
      jaegerError(400, "'maxDuration' should be greater than 'minDuration'"),
    )
    expect(await get('/api/operations', 400)).toEqual(jaegerError(400, "parameter 'service' is required"))
    expect(await get('/api/operations?spanKind=server', 400)).toEqual(
      jaegerError(400, "parameter 'service' is required"),
    )
    expect(await get('/api/traces?tags=%7Bbroken', 400)).toEqual(jaegerError(400, 'tags is not JSON'))
    expect((await get<JaegerEnvelope<null>>('/api/traces?minDuration=fast', 400)).errors![0]!.msg).toContain(
      'minDuration',
    )
    expect(await get('/api/traces?raw=maybe', 400)).toEqual(jaegerError(400, 'raw: not a boolean: maybe'))
    expect(await get('/api/dependencies?endTs=yesterday', 400)).toEqual(
      jaegerError(400, 'endTs: not an integer from 0 to 9007199254740991: yesterday'),
    )
    expect(await get('/api/traces?lookback=soon', 400)).toEqual(
      jaegerError(400, 'lookback: not a duration like 1s or 250ms (up to about 285 years): soon'),
    )
  })

  test('tags: a value that is not a string, number or boolean, or more than 64 tags, is a 400 (not a 500)', async () => {
    // 7,000 arrays deep: turning it into text overflowed the stack.
    const deep = encodeURIComponent(`{"a":${'['.repeat(7000)}${']'.repeat(7000)}}`)
    expect(await get(`/api/traces?tags=${deep}`, 400)).toEqual(
      jaegerError(400, 'tags: the value of a is not a string, number or boolean'),
    )
    expect(await get(`/api/traces?tags=${encodeURIComponent('{"a":null}')}`, 400)).toEqual(
      jaegerError(400, 'tags: the value of a is not a string, number or boolean'),
    )
    // 1,100 tags made an SQL expression deeper than SQLite takes.
    const pairs = (count: number) => Array.from({ length: count }, (_, index) => `k${index}:v`).join(' ')
    expect(await get(`/api/traces?tags=${encodeURIComponent(pairs(1100))}`, 400)).toEqual(
      jaegerError(400, 'tags: at most 64 tags in one search'),
    )
    expect(await get(`/api/traces?tags=${encodeURIComponent(pairs(64))}`)).toMatchObject({ data: [] })
    expect((await collector.app.request(`/?tags=${encodeURIComponent(pairs(65).replaceAll(':', '='))}`)).status).toBe(
      400,
    )
  })

  test('a tag named __proto__ is a tag like any other: it narrows the search, never widens it', async () => {
    expect(await search(`service=gateway&tags=${encodeURIComponent('{"__proto__":"no-such-value"}')}`)).toEqual([])
    expect(await search('service=gateway&tags=__proto__:no-such-value')).toEqual([])
    expect(await search('service=gateway&tag=__proto__:no-such-value')).toEqual([])
    const viewer = await (await collector.app.request('/?service=gateway&tags=__proto__%3Dno-such-value')).text()
    expect(viewer).not.toContain(PAID_TRACE)
    expect(await (await collector.app.request('/?service=gateway')).text()).toContain(PAID_TRACE)
  })

  test('an unknown path under /api is a 404 in the envelope too', async () => {
    expect(await get('/api/nothing', 404)).toEqual(jaegerError(404, 'no route for GET /api/nothing'))
    const post = await collector.app.request('/api/traces', { method: 'POST' })
    expect(post.status).toBe(404)
    expect(await post.json()).toEqual(jaegerError(404, 'no route for POST /api/traces'))
  })
})

describe('numbers out of range are a 400 in the error envelope, never a 500 nor a rounded search', () => {
  const digits400 = '9'.repeat(400)

  test.each(['start', 'end', 'limit'])('%s past 2^53 - 1, or 400 digits long', async (name) => {
    for (const value of ['999999999999999999999', '9007199254740992', digits400]) {
      expect(await get(`/api/traces?${name}=${value}`, 400)).toEqual(
        jaegerError(400, `${name}: not an integer from 0 to 9007199254740991: ${value}`),
      )
    }
  })

  test.each(['minDuration', 'maxDuration', 'lookback'])('%s too long to count in microseconds', async (name) => {
    for (const value of ['99999999999999999999h', `${digits400}s`, '2600000h', '99999999999d']) {
      expect(await get(`/api/traces?${name}=${value}`, 400)).toEqual(
        jaegerError(400, `${name}: not a duration like 1s or 250ms (up to about 285 years): ${value}`),
      )
    }
  })

  test('the largest exact values still search', async () => {
    const everyPayment = [...RECENT, ...ALL_PAID.slice(1)]
    expect(await search('service=payment&start=0&end=9007199254740991&limit=9007199254740991')).toEqual(everyPayment)
    expect(await search('service=payment&lookback=2500000h&maxDuration=2500000h')).toEqual(everyPayment)
  })

  test("the viewer's search page, which reads its form with the same parser, refuses them too", async () => {
    // Its error page is the viewer's own; only the status is this parser's.
    expect((await collector.app.request(`/?limit=${digits400}`)).status).toBe(400)
    expect((await collector.app.request('/?minDuration=99999999999999999999h')).status).toBe(400)
    expect((await collector.app.request('/?service=gateway&limit=1')).status).toBe(200)
  })
})
