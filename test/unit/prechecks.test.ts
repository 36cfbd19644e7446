import { describe, expect, test } from 'bun:test'
import type { Fetch } from '../../shared/telemetry/fetch.ts'
import { inProcessShop } from '../support/in-process.ts'
import type { FlatSpan } from '../support/otlp-json.ts'
import { SPAN_KIND } from '../support/otlp-json.ts'

const PRECHECKS = ['check_inventory', 'validate_user']
const items = [
  { id: 'sku-mouse', quantity: 1 },
  { id: 'sku-cable', quantity: 2 },
  { id: 'sku-keyboard', quantity: 1 },
  { id: 'sku-headset', quantity: 1 },
  { id: 'sku-webcam', quantity: 1 },
]
// Latencies that make the shape visible: stock 120 ms, user 80 ms.
const latencies = { baggage: 'fault.inventory=slow:120,fault.user=slow:80' }

/** The order's span, its pre-check children in start order, and the order's trace. */
async function placed(shop: Awaited<ReturnType<typeof inProcessShop>>, userId: string) {
  const response = await shop.placeOrder({ userId, items }, latencies)
  expect(response.status).toBe(201)
  const traceId = response.headers.get('x-trace-id')!
  const trace = (await shop.spans()).filter((span) => span.traceId === traceId)
  const order = trace.find((span) => span.name === 'order_service.create_order')!
  const children = trace
    .filter((span) => span.parentSpanId === order.spanId)
    .sort((a, b) => Number(a.startNs - b.startNs))
  const checks = PRECHECKS.map((name) => children.find((span) => span.name === name)!)
  return { trace, order, children, checks }
}

/** A count a test can wait on: `reached(n)` resolves once it is at least `n`. */
function tally() {
  let value = 0
  const waiting: { n: number; resolve: () => void }[] = []
  return {
    add() {
      value++
      for (const waiter of waiting) if (value >= waiter.n) waiter.resolve()
    },
    reached: (n: number) =>
      new Promise<void>((resolve) => (value >= n ? resolve() : void waiting.push({ n, resolve }))),
  }
}

/**
 * A barrier on the charges the order service asks for: every `POST /payments` waits until `release()`, so the orders
 * it belongs to stay reserved, in progress, for as long as the test needs. `onHeld` is told of each held call.
 */
function holdPayments(onHeld: () => void = () => {}) {
  const { promise: released, resolve: release } = Promise.withResolvers<void>()
  let held = 0
  const payment =
    (next: Fetch): Fetch =>
    async (input, init) => {
      const request = input instanceof Request ? input : new Request(input, init)
      if (request.method === 'POST' && new URL(request.url).pathname === '/payments') {
        held++
        onHeld()
        await released
      }
      return next(input, init)
    }
  return { interpose: { payment }, release, held: () => held }
}

const ms = (ns: bigint) => Number(ns) / 1e6
/** How long two spans ran at the same time, in ms (negative: the gap between them). */
const overlapMs = (a: FlatSpan, b: FlatSpan) =>
  ms((a.endNs < b.endNs ? a.endNs : b.endNs) - (a.startNs > b.startNs ? a.startNs : b.startNs))
// The SDK stamps a span's start from Date.now() (whole ms) and its end from the performance clock, so a span that
// starts right after another can seem to begin up to a millisecond before it ended.
const START_RESOLUTION_MS = 1

describe('pre-checks', () => {
  test('in parallel (the default) the two checks are overlapping siblings, and take about as long as the slowest', async () => {
    const shop = await inProcessShop()
    const { order, children, checks, trace } = await placed(shop, 'u-parallel')
    expect(checks.every(Boolean)).toBe(true)
    expect(overlapMs(checks[0]!, checks[1]!)).toBeGreaterThan(50)
    const pricing = children.find((span) => span.name === 'calculate_price')!
    const record = children.find((span) => span.name === 'create_order_record')!
    for (const check of checks) expect(ms(check.endNs - pricing.startNs)).toBeLessThanOrEqual(START_RESOLUTION_MS)
    expect(ms(pricing.endNs - record.startNs)).toBeLessThanOrEqual(START_RESOLUTION_MS)
    const phase = ms(record.startNs - checks[0]!.startNs)
    expect(phase).toBeGreaterThanOrEqual(115)
    expect(phase).toBeLessThan(120 + 80)

    // The stock check answers the prices too: the only call to the inventory before the record is POST /availability.
    const inventoryCalls = trace.filter((span) => span.service === 'inventory' && span.kind === SPAN_KIND.SERVER)
    const beforeRecord = inventoryCalls.filter((span) => span.startNs < record.startNs)
    expect(beforeRecord.map((span) => span.name)).toEqual(['POST /availability'])
    // One price_item per item under calculate_price, in the order listed, each with the catalogue's price.
    const priceItems = trace
      .filter((span) => span.name === 'price_item')
      .sort((a, b) => Number(a.attributes['item.index']) - Number(b.attributes['item.index']))
    expect(priceItems.every((span) => span.parentSpanId === pricing.spanId)).toBe(true)
    expect(priceItems.map((span) => span.attributes['item.id'])).toEqual(items.map((item) => item.id))
    for (const span of priceItems) expect(span.attributes['item.unit_price']).toBeGreaterThan(0)
    expect(order.attributes['order.total']).toBe(pricing.attributes['order.total'] as number)
  })

  test('ORDER_PRECHECKS=sequential runs them one after another: no sibling overlaps, the phase is the sum', async () => {
    const shop = await inProcessShop({ env: { ORDER_PRECHECKS: 'sequential' } })
    const { children, checks } = await placed(shop, 'u-sequential')
    expect(children.slice(0, 3).map((span) => span.name)).toEqual([...PRECHECKS, 'calculate_price'])
    expect(overlapMs(checks[0]!, checks[1]!)).toBeLessThanOrEqual(START_RESOLUTION_MS)
    const record = children.find((span) => span.name === 'create_order_record')!
    expect(ms(record.startNs - checks[0]!.startNs)).toBeGreaterThanOrEqual(120 + 80 - 5)
  })

  test('a blocklisted user is refused with 403 user_not_allowed, whatever else the order has', async () => {
    const shop = await inProcessShop({ env: { ORDER_USER_BLOCKLIST: 'u-fraud, u-other' } })
    const response = await shop.placeOrder({ userId: 'u-fraud', items: [{ id: 'sku-mouse', quantity: 1 }] })
    expect(response.status).toBe(403)
    expect(await response.json()).toMatchObject({
      error: { code: 'user_not_allowed', details: { reason: 'blocklisted' } },
    })
    expect(await shop.count('order', 'select * from orders')).toBe(0)
  })

  test('a user with too many orders in progress is refused another', async () => {
    const arrived = tally()
    const payments = holdPayments(arrived.add)
    const shop = await inProcessShop({ env: { ORDER_MAX_OPEN_ORDERS: '2' }, interpose: payments.interpose })
    const first = [
      shop.placeOrder({ userId: 'u-busy', items: [{ id: 'sku-mouse', quantity: 1 }] }),
      shop.placeOrder({ userId: 'u-busy', items: [{ id: 'sku-cable', quantity: 1 }] }),
    ]
    // Both are recorded and reserved, their charges held: two orders in progress.
    await arrived.reached(2)
    expect(await shop.count('order', "select * from orders where user_id = 'u-busy' and status = 'reserved'")).toBe(2)
    const third = await shop.placeOrder({ userId: 'u-busy', items: [{ id: 'sku-ssd', quantity: 1 }] })
    expect(third.status).toBe(403)
    expect(await third.json()).toMatchObject({
      error: { code: 'user_not_allowed', details: { reason: 'too_many_open_orders', limit: 2 } },
    })
    expect(await shop.count('order', "select * from orders where user_id = 'u-busy'")).toBe(2)

    payments.release()
    expect((await Promise.all(first)).map((response) => response.status)).toEqual([201, 201])
    expect((await shop.placeOrder({ userId: 'u-busy', items: [{ id: 'sku-ssd', quantity: 1 }] })).status).toBe(201)
  })

  test('the open-order limit holds under concurrency: of 50 orders at once, exactly the limit is recorded', async () => {
    // Each order ends either answered (refused) or recorded with its charge held: once 50 did, all have been placed.
    const placed = tally()
    const payments = holdPayments(placed.add)
    const shop = await inProcessShop({ env: { ORDER_MAX_OPEN_ORDERS: '5' }, interpose: payments.interpose })
    const answered: Response[] = []
    const pending = Array.from({ length: 50 }, () =>
      Promise.resolve(shop.placeOrder({ userId: 'u-burst', items: [{ id: 'sku-cable', quantity: 1 }] })).then(
        (response) => {
          answered.push(response)
          placed.add()
          return response
        },
      ),
    )
    await placed.reached(50)
    expect(payments.held()).toBe(5)
    expect(await shop.count('order', "select * from orders where user_id = 'u-burst'")).toBe(5)
    expect(await shop.count('order', "select * from orders where user_id = 'u-burst' and status = 'reserved'")).toBe(5)
    expect(answered).toHaveLength(45)
    for (const response of answered) {
      expect(response.status).toBe(403)
      expect(await response.json()).toMatchObject({
        error: { code: 'user_not_allowed', details: { reason: 'too_many_open_orders', limit: 5 } },
      })
    }

    payments.release()
    const statuses = (await Promise.all(pending)).map((response) => response.status)
    expect(statuses.filter((status) => status === 201)).toHaveLength(5)
    expect(await shop.count('order', "select * from orders where user_id = 'u-burst' and status = 'paid'")).toBe(5)
  })

  test('in either mode the same bad order gets the same answer: the first failing check in list order', async () => {
    const order = { userId: 'u-fraud', items: [{ id: 'sku-nope', quantity: 1 }] }
    for (const mode of ['parallel', 'sequential']) {
      const shop = await inProcessShop({ env: { ORDER_PRECHECKS: mode, ORDER_USER_BLOCKLIST: 'u-fraud' } })
      const response = await shop.placeOrder(order)
      expect([mode, response.status, (await response.json()).error.code]).toEqual([mode, 404, 'unknown_item'])
    }
  })
})
