import { afterAll, beforeAll, expect, test } from 'bun:test'
import { count } from 'drizzle-orm'
import { spanEvents, spans } from '../../collector/schema.ts'
import { nowNanos, postOtlp, testCollector } from './helpers.ts'
import { otlpRequest } from './payloads.ts'

let collector: Awaited<ReturnType<typeof testCollector>>
beforeAll(async () => {
  collector = await testCollector({ maxSpans: 5, maxAgeHours: 1 })
})
afterAll(() => collector.close())

const traceIds = async () =>
  (await collector.db.selectDistinct({ id: spans.traceId }).from(spans)).map((row) => row.id).sort()
const span = (id: string) => ({ id, service: 'svc', name: 'work', at: 0, ms: 1, events: [{ name: 'tick', at: 0 }] })

test('spans older than COLLECTOR_MAX_AGE_HOURS are pruned with their events', async () => {
  await postOtlp(
    collector.app,
    otlpRequest('a0000000000000000000000000000001', [span('1000000000000001')], nowNanos() - 7_200_000_000_000n),
  )
  await postOtlp(collector.app, otlpRequest('a0000000000000000000000000000002', [span('1000000000000002')]))
  expect(await traceIds()).toEqual(['a0000000000000000000000000000002'])
  expect((await collector.db.select({ n: count() }).from(spanEvents))[0]!.n).toBe(1)
})

test('past COLLECTOR_MAX_SPANS the oldest spans go first', async () => {
  for (let index = 3; index <= 9; index++) {
    const start = nowNanos() - BigInt(10 - index) * 1_000_000_000n
    await postOtlp(
      collector.app,
      otlpRequest(`a000000000000000000000000000000${index}`, [span(`100000000000000${index}`)], start),
    )
  }
  expect(await traceIds()).toEqual([5, 6, 7, 8, 9].map((index) => `a000000000000000000000000000000${index}`))
  expect((await collector.db.select({ n: count() }).from(spanEvents))[0]!.n).toBe(5)
})
