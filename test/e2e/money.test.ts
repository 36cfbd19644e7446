import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { networkInterfaces } from 'node:os'
import { auditShop, stockOf } from '../support/audit.ts'
import { rows, waitUntil } from '../support/environment.ts'
import { type RunningSystem, runtimes, startSystem } from '../support/system.ts'

// These tests start real processes and wait on held payments; the 5 s default is too short.
setDefaultTimeout(60_000)

const DEADLINE_MS = 3000

for (const runtime of runtimes) {
  describe(`money and access on ${runtime}`, () => {
    let system: RunningSystem
    let initialStock: Record<string, number>
    const databases = () => ({
      order: system.database('order'),
      inventory: system.database('inventory'),
      payment: system.database('payment'),
    })

    beforeAll(async () => {
      system = await startSystem(runtime, {
        REQUEST_DEADLINE_MS: String(DEADLINE_MS),
        // Held payments (`slow`) must outlast the attempt timeout, not be cut by it.
        PAYMENT_ATTEMPT_TIMEOUT_MS: '10000',
        PAYMENT_DEADLINE_MS: '10000',
      })
      initialStock = await stockOf(system.database('inventory'))
    })
    afterAll(async () => {
      await system?.stop()
    })

    test('a charge the provider completes after the order gave up is never left succeeded', async () => {
      // `late`: the provider charges after the order's deadline has passed, whatever its caller does.
      const response = await system.placeOrder(
        { userId: 'u-late', items: [{ id: 'sku-cable', quantity: 1 }] },
        { baggage: `fault.payment=late:${DEADLINE_MS + 1000}` },
      )
      expect(response.status).toBe(504)
      expect((await response.json()).error.code).toBe('payment_timeout')
      const [order] = await rows(databases().order, "select id, status from orders where user_id = 'u-late'")
      expect(order!.status).toBe('cancelled')
      const payment = async () =>
        (await rows(databases().payment, 'select status from payments where order_id = ?', [String(order!.id)]))[0]
          ?.status
      // The payment service finishes the late charge (on Workers too: a request's work outlives its caller), finds
      // its payment voided and refunds it.
      expect(await waitUntil(async () => (await payment()) === 'refunded', 15_000)).toBe(true)
    })

    test('50 concurrent orders from one user while payments are held: at most 5 in progress, the rest refused', async () => {
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          system.placeOrder(
            { userId: 'u-busy', items: [{ id: 'sku-cable', quantity: 1 }], requestId: `busy-${i}` },
            { baggage: `fault.payment=slow:${DEADLINE_MS - 1000}` },
          ),
        ),
      )
      const statuses = answers.map((answer) => answer.status)
      expect(statuses.filter((status) => status === 201).length).toBeLessThanOrEqual(5)
      const refused = await Promise.all(answers.filter((answer) => answer.status === 403).map((a) => a.json()))
      expect(refused.length).toBeGreaterThanOrEqual(45)
      for (const body of refused) expect(body.error.details.reason).toBe('too_many_open_orders')
      expect((await rows(databases().order, "select * from orders where user_id = 'u-busy'")).length).toBe(
        50 - refused.length,
      )
    })

    test('internal services refuse callers without the credential, and nothing listens beyond loopback', async () => {
      if (runtime !== 'workers') {
        const charge = await fetch(`http://127.0.0.1:${system.ports.payment}/payments`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ orderId: 'no-such-order', amount: 999999999 }),
        })
        expect(charge.status).toBe(401)
        expect((await charge.json()).error.code).toBe('unauthorized')
      }
      const outside = Object.values(networkInterfaces())
        .flat()
        .find((address) => address && address.family === 'IPv4' && !address.internal)?.address
      expect(outside).toBeString()
      const reach = (port: number) =>
        fetch(`http://${outside}:${port}/healthz`).then(
          (response) => response.status,
          () => 'refused',
        )
      // Faults are on here (as under bun run dev), so the gateway too stays on loopback; with them off it listens on
      // every interface, and the others still do not (test/e2e/runner.test.ts).
      for (const name of ['gateway', 'order', 'inventory', 'payment', 'collector'] as const) {
        expect(await reach(system.ports[name])).toBe('refused')
      }
    })

    test('after it all, the three databases agree: every charge has its paid order, no stock lost', async () => {
      const unsettled = () =>
        rows(databases().order, "select id, user_id, status from orders where status not in ('paid', 'cancelled')")
      await waitUntil(async () => (await unsettled()).length === 0, 15_000)
      expect(await unsettled()).toEqual([])
      expect(await auditShop(databases(), initialStock)).toEqual([])
    })
  })
}
