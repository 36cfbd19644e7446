import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { JaegerTrace } from '../../collector/jaeger.ts'
import { nowNanos, postOtlp, testCollector } from './helpers.ts'
import { FAILED_TRACE, failedOrder, PAID_TRACE, paidOrder } from './payloads.ts'

let collector: Awaited<ReturnType<typeof testCollector>>
const OLD_TRACE = 'c0000000000000000000000000000003'
const oldStart = nowNanos() - 3_600_000_000_000n
beforeAll(async () => {
  collector = await testCollector()
  for (const request of [failedOrder(FAILED_TRACE), paidOrder(PAID_TRACE), paidOrder(OLD_TRACE, oldStart)]) {
    expect((await postOtlp(collector.app, request)).status).toBe(200)
  }
})
afterAll(() => collector.close())

async function get<T>(path: string, status = 200): Promise<T> {
  const response = await collector.app.request(path)
  expect(response.status).toBe(status)
  expect(response.headers.get('content-type')).toContain('application/json')
  return (await response.json()) as T
}

const search = async (query: string) =>
  (await get<{ data: JaegerTrace[] }>(`/api/traces?${query}`)).data.map((trace) => trace.traceID)

describe('query API', () => {
  test('services and operations', async () => {
    expect((await get<{ data: string[] }>('/api/services')).data).toEqual(['gateway', 'inventory', 'order', 'payment'])
    expect((await get<{ data: string[] }>('/api/services/order/operations')).data).toEqual([
      'check_inventory',
      'create_order_record',
      'create_payment',
      'order_service.create_order',
    ])
    expect((await get<{ data: unknown[] }>('/api/operations?service=payment')).data).toEqual([
      { name: 'payment.create', spanKind: 'internal' },
    ])
  })

  test('search by service, operation and time, newest first', async () => {
    expect(await search('service=gateway')).toEqual([PAID_TRACE, FAILED_TRACE, OLD_TRACE])
    expect(await search('service=inventory')).toEqual([FAILED_TRACE])
    expect(await search('service=order&operation=create_payment')).toEqual([FAILED_TRACE])
    expect(await search('service=gateway&limit=1')).toEqual([PAID_TRACE])
    const tenMinutesAgo = (Date.now() - 600_000) * 1000
    expect(await search(`service=gateway&start=${tenMinutesAgo}`)).toEqual([PAID_TRACE, FAILED_TRACE])
    expect(await search(`service=gateway&end=${tenMinutesAgo}`)).toEqual([OLD_TRACE])
    expect(await search('service=gateway&lookback=10m')).toEqual([PAID_TRACE, FAILED_TRACE])
  })

  test('search by duration, as Go durations', async () => {
    expect(await search('service=payment&minDuration=1s')).toEqual([FAILED_TRACE])
    expect(await search('service=payment&maxDuration=100ms')).toEqual([PAID_TRACE, OLD_TRACE])
    expect(await search('minDuration=4.5s&maxDuration=4m')).toEqual([FAILED_TRACE])
  })

  test('search by tags: error:true, attributes of any type, resource attributes, JSON form', async () => {
    expect(await search('tags=error:true')).toEqual([FAILED_TRACE])
    expect(await search('service=gateway&tags=error:false')).toEqual([PAID_TRACE, OLD_TRACE])
    expect(await search('tags=amount:42')).toEqual([FAILED_TRACE])
    expect(await search('tags=vip:true')).toEqual([PAID_TRACE, OLD_TRACE])
    expect(await search(`tags=${encodeURIComponent('user.id:u1 error.type:TIMEOUT')}`)).toEqual([])
    expect(await search(`tags=${encodeURIComponent('{"error.type":"TIMEOUT"}')}`)).toEqual([FAILED_TRACE])
    expect(await search('tag=process.runtime.name:bun&service=inventory')).toEqual([FAILED_TRACE])
  })

  test('a trace by id, in any case', async () => {
    const trace = (await get<{ data: JaegerTrace[] }>(`/api/traces/${FAILED_TRACE.toUpperCase()}`)).data[0]!
    expect(trace.spans).toHaveLength(7)
    expect(
      Object.values(trace.processes)
        .map((process) => process.serviceName)
        .sort(),
    ).toEqual(['gateway', 'inventory', 'order', 'payment'])
    expect(
      (await get<{ data: JaegerTrace[] }>('/api/traces/c0000000000000000000000000000002')).data[0]!.spans,
    ).toHaveLength(3)
  })

  test('errors are JSON', async () => {
    const missing = await get<{ error: { code: string; message: string } }>(
      '/api/traces/0123456789abcdef0123456789abcdef',
      404,
    )
    expect(missing.error).toEqual({ code: 'not_found', message: 'trace 0123456789abcdef0123456789abcdef not found' })
    expect((await get<{ error: { code: string } }>('/api/traces/xyz', 400)).error.code).toBe('invalid_request')
    expect((await get<{ error: { message: string } }>('/api/traces?minDuration=fast', 400)).error.message).toContain(
      'minDuration',
    )
    expect(await get('/api/traces?tags=%7Bbroken', 400)).toEqual({
      error: { code: 'invalid_request', message: 'tags is not JSON' },
      traceId: '',
    })
    expect((await get<{ error: { code: string } }>('/api/nothing', 404)).error.code).toBe('not_found')
  })
})

describe('numbers out of range are a 400 in the JSON error shape, never a 500 nor a rounded search', () => {
  const digits400 = '9'.repeat(400)
  const invalid = (message: string) => ({ error: { code: 'invalid_request', message }, traceId: '' })

  test.each(['start', 'end', 'limit'])('%s past 2^53 - 1, or 400 digits long', async (name) => {
    for (const value of ['999999999999999999999', '9007199254740992', digits400]) {
      expect(await get(`/api/traces?${name}=${value}`, 400)).toEqual(
        invalid(`${name}: not an integer from 0 to 9007199254740991: ${value}`),
      )
    }
  })

  test.each(['minDuration', 'maxDuration', 'lookback'])('%s too long to count in microseconds', async (name) => {
    for (const value of ['99999999999999999999h', `${digits400}s`, '2600000h']) {
      expect(await get(`/api/traces?${name}=${value}`, 400)).toEqual(
        invalid(`${name}: not a duration like 1s or 250ms (up to about 285 years): ${value}`),
      )
    }
  })

  test('the largest exact values still search', async () => {
    expect(await search('service=gateway&start=0&end=9007199254740991&limit=9007199254740991')).toEqual([
      PAID_TRACE,
      FAILED_TRACE,
      OLD_TRACE,
    ])
    expect(await search('service=gateway&lookback=2500000h&maxDuration=2500000h')).toEqual([
      PAID_TRACE,
      FAILED_TRACE,
      OLD_TRACE,
    ])
  })

  test("the viewer's search page checks its limit and minimum duration the same way", async () => {
    expect(await get(`/?limit=${digits400}`, 400)).toEqual(
      invalid(`limit: not an integer from 0 to 9007199254740991: ${digits400}`),
    )
    expect(await get('/?minDuration=99999999999999999999h', 400)).toEqual(
      invalid('minDuration: not a duration like 1s or 250ms (up to about 285 years): 99999999999999999999h'),
    )
    expect((await collector.app.request('/?service=gateway&limit=1')).status).toBe(200)
  })
})
