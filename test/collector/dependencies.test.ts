import { afterAll, beforeAll, expect, test } from 'bun:test'
import { findDependencies } from '../../collector/dependencies.ts'
import { nowNanos, postOtlp, testCollector } from './helpers.ts'
import { FAILED_TRACE, failedOrder, PAID_TRACE, paidOrder } from './payloads.ts'

let collector: Awaited<ReturnType<typeof testCollector>>
const OLD_TRACE = 'c0000000000000000000000000000003'
beforeAll(async () => {
  collector = await testCollector()
  const hourAgo = nowNanos() - 3_600_000_000_000n
  for (const request of [failedOrder(FAILED_TRACE), paidOrder(PAID_TRACE), paidOrder(OLD_TRACE, hourAgo)]) {
    expect((await postOtlp(collector.app, request)).status).toBe(200)
  }
})
afterAll(() => collector.close())

const nowMicros = () => Date.now() * 1000

test('links between services, counted per parent → child pair; calls within a service are no link', async () => {
  expect(await findDependencies(collector.db, { start: nowMicros() - 600_000_000, end: nowMicros() })).toEqual([
    { parent: 'gateway', child: 'order', callCount: 2 },
    { parent: 'order', child: 'inventory', callCount: 1 },
    { parent: 'order', child: 'payment', callCount: 2 },
  ])
})

test('only spans that started in the window count', async () => {
  const twoHours = 7_200_000_000
  expect(await findDependencies(collector.db, { start: nowMicros() - twoHours, end: nowMicros() })).toEqual([
    { parent: 'gateway', child: 'order', callCount: 3 },
    { parent: 'order', child: 'inventory', callCount: 1 },
    { parent: 'order', child: 'payment', callCount: 3 },
  ])
  expect(
    await findDependencies(collector.db, { start: nowMicros() - twoHours, end: nowMicros() - 600_000_000 }),
  ).toEqual([
    { parent: 'gateway', child: 'order', callCount: 1 },
    { parent: 'order', child: 'payment', callCount: 1 },
  ])
  expect(await findDependencies(collector.db, { start: 0, end: 1 })).toEqual([])
})
