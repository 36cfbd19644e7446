import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { auditShop, stockOf } from '../support/audit.ts'
import { rows, waitUntil } from '../support/environment.ts'
import { startProcesses } from '../support/processes.ts'

/** How long the load runs and how many orders a second arrive (an open model: arrivals do not wait for answers). */
const SECONDS = Number(process.env.SOAK_SECONDS || 120)
const RATE = Number(process.env.SOAK_RATE || 15)
const DEADLINE_MS = 1500

/** The fault mix: each order draws one, by weight. Crashes kill the order service at a saga step; it is restarted. */
const FAULTS: [weight: number, headers: Record<string, string>][] = [
  [50, {}],
  [10, { baggage: 'fault.payment=decline' }],
  [5, { baggage: 'fault.payment=timeout' }],
  [5, { baggage: 'fault.payment=timeout:1' }],
  // A provider slow enough that the order's deadline comes first, or just before it does.
  [5, { baggage: `fault.payment=slow:${DEADLINE_MS - 400}` }],
  [5, { baggage: `fault.payment=slow:${DEADLINE_MS - 200}` }],
  // A provider that charges after the order gave up on it.
  [4, { baggage: `fault.payment=late:${DEADLINE_MS}` }],
  [5, { baggage: 'fault.inventory=slow:200' }],
  [5, { baggage: `fault.user=slow:${DEADLINE_MS - 300}` }],
  // Deadlines chosen by the client: the gateway ignores them.
  [5, { 'x-request-timeout-ms': String(40 + Math.floor(Math.random() * 360)) }],
  ...(['after_record', 'after_reserve', 'after_payment', 'before_compensation'] as const).map(
    (step): [number, Record<string, string>] => [0.4, { baggage: `fault.order=crash:${step},fault.payment=decline` }],
  ),
]

const PRODUCTS = ['sku-mouse', 'sku-cable', 'sku-headset', 'sku-webcam', 'sku-dock', 'sku-ssd']

function pick<T>(weighted: [number, T][]): T {
  let left = Math.random() * weighted.reduce((sum, [weight]) => sum + weight, 0)
  for (const [weight, value] of weighted) {
    left -= weight
    if (left < 0) return value
  }
  return weighted[0]![1]
}

describe(`soak: ${SECONDS} s of orders at ${RATE}/s with faults and crashes, then an audit`, () => {
  let shop: Awaited<ReturnType<typeof startProcesses>>

  beforeAll(async () => {
    shop = await startProcesses({
      REQUEST_DEADLINE_MS: String(DEADLINE_MS),
      PAYMENT_ATTEMPT_TIMEOUT_MS: '400',
      ORDER_STALE_AFTER_MS: String(DEADLINE_MS * 2),
      ORDER_RECOVERY_INTERVAL_MS: '500',
      ORDER_MAX_OPEN_ORDERS: '1000',
    })
  })
  afterAll(async () => {
    await shop?.stop()
  })

  test(
    'every paid order has its charge and stock, every cancelled one neither, nothing is left unsettled',
    async () => {
      // Stock enough that every order could sell: a refusal is then a fault's doing, not an empty shelf.
      await shop.database('inventory').execute('update products set available = 100000')
      const initial = await stockOf(shop.database('inventory'))
      let running = true
      let restarts = 0
      // The order service comes back after every crash, as a supervisor would bring it back.
      const supervise = async () => {
        const code = await shop.process('order').exited
        if (!running) return
        expect(code).not.toBe(0)
        restarts++
        await shop.start('order')
        void supervise()
      }
      void supervise()

      const answers = new Map<number, number>()
      const paidOrders: string[] = []
      const started = Date.now()
      const inFlight = new Set<Promise<void>>()
      for (let i = 0; Date.now() - started < SECONDS * 1000; i++) {
        // Open model: the i-th order leaves at its time, whether or not the ones before have been answered.
        await Bun.sleep(Math.max(0, started + (i * 1000) / RATE - Date.now()))
        const items = [{ id: PRODUCTS[i % PRODUCTS.length]!, quantity: 1 + (i % 2) }]
        const sent = shop
          .placeOrder({ userId: `u-soak-${i % 50}`, items, requestId: `soak-${i}` }, pick(FAULTS))
          .then(async (response) => {
            answers.set(response.status, (answers.get(response.status) ?? 0) + 1)
            const body = await response.json()
            if (response.status === 201) paidOrders.push(body.id)
            else expect(body.error.code).toBeString()
          })
          .catch(() => {
            answers.set(0, (answers.get(0) ?? 0) + 1)
          })
          .finally(() => inFlight.delete(sent))
        inFlight.add(sent)
      }
      await Promise.all(inFlight)
      running = false

      // Crashed orders are settled by recovery once they are stale.
      const unsettled = async () =>
        (await rows(shop.database('order'), "select id from orders where status not in ('paid', 'cancelled')")).length
      if (shop.process('order').exitCode !== null) await shop.start('order')
      expect(await waitUntil(async () => (await unsettled()) === 0, 30_000)).toBe(true)

      const databases = {
        order: shop.database('order'),
        inventory: shop.database('inventory'),
        payment: shop.database('payment'),
      }
      expect(await auditShop(databases, initial)).toEqual([])
      for (const id of paidOrders) {
        const [order] = await rows(databases.order, 'select status from orders where id = ?', [id])
        expect(order!.status).toBe('paid')
      }
      // Nothing answered 500: every failure was one the API names.
      expect(answers.get(500) ?? 0).toBe(0)
      expect(answers.get(201) ?? 0).toBeGreaterThan(SECONDS * RATE * 0.3)
      console.log(
        `soak: ${[...answers].map(([status, n]) => `${status || 'no answer'}×${n}`).join(' ')}, ${restarts} restarts`,
      )
    },
    (SECONDS + 120) * 1000,
  )
})
