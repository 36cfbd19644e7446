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
    expect((await get<{ error: { message: string } }>('/api/traces?tags=%7Bbroken', 400)).error.message).toContain(
      'tags',
    )
    expect((await get<{ error: { code: string } }>('/api/nothing', 404)).error.code).toBe('not_found')
  })
})
