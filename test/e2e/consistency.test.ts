import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import type { Client } from '@libsql/client'
import { rows, waitUntil } from '../support/environment.ts'
import { startProcesses } from '../support/processes.ts'

// These tests start real processes and wait for their traces; the 5 s default is too short.
setDefaultTimeout(60_000)

const number = async (db: Client, sql: string, args: (string | number)[] = []) =>
  Number(Object.values((await rows(db, sql, args))[0]!)[0])

describe('consistency under concurrency (real processes on Bun)', () => {
  let shop: Awaited<ReturnType<typeof startProcesses>>

  beforeAll(async () => {
    shop = await startProcesses({
      OTEL_SDK_DISABLED: 'true',
      REQUEST_DEADLINE_MS: '20000',
      PAYMENT_ATTEMPT_TIMEOUT_MS: '300',
      PAYMENT_PROVIDER_LATENCY_MS: '5',
    })
  })
  afterAll(() => shop?.stop())

  test('50 concurrent requests with one Idempotency-Key create one order and all get the same answer', async () => {
    const body = { userId: 'u-idem', items: [{ id: 'sku-mouse', quantity: 1 }] }
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => shop.placeOrder(body, { 'Idempotency-Key': 'same-key-50' })),
    )
    expect(answers.map((answer) => answer.status)).toEqual(Array(50).fill(201))
    const bodies = await Promise.all(answers.map((answer) => answer.json()))
    expect(new Set(bodies.map((order) => JSON.stringify(order))).size).toBe(1)
    expect(bodies[0]).toMatchObject({ status: 'paid', userId: 'u-idem' })
    expect(await number(shop.database('order'), "select count(*) from orders where user_id = 'u-idem'")).toBe(1)
    expect(
      await number(shop.database('payment'), 'select count(*) from payments where order_id = ?', [bodies[0].id]),
    ).toBe(1)
  })

  test('200 concurrent orders for an item with 20 in stock: exactly 20 paid, stock 0', async () => {
    await shop.database('inventory').execute("update products set available = 20 where id = 'sku-ssd'")
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        shop.placeOrder({ userId: `u-rush-${i}`, items: [{ id: 'sku-ssd', quantity: 1 }] }),
      ),
    )
    const statuses = answers.map((answer) => answer.status)
    expect(statuses.filter((status) => status === 201)).toHaveLength(20)
    expect(statuses.filter((status) => status === 409)).toHaveLength(180)
    expect(await number(shop.database('inventory'), "select available from products where id = 'sku-ssd'")).toBe(0)
    expect(
      await number(
        shop.database('order'),
        "select count(*) from orders where user_id like 'u-rush-%' and status = 'paid'",
      ),
    ).toBe(20)
    expect(
      await number(
        shop.database('inventory'),
        "select coalesce(sum(quantity), 0) from reservations where product_id = 'sku-ssd' and status = 'committed'",
      ),
    ).toBe(20)
  })

  test('with 30% payment faults mixed in, stock adds up for every item and no reservation outlives its order', async () => {
    const inventory = shop.database('inventory')
    const initial = new Map(
      (await rows(inventory, 'select id, available from products')).map((row) => [
        String(row.id),
        Number(row.available),
      ]),
    )
    const soldBefore = await soldByItem(inventory)
    const products = [...initial.keys()]
    const faults = ['fault.payment=decline', 'fault.payment=timeout', 'fault.payment=timeout:1']
    const answers = await Promise.all(
      Array.from({ length: 120 }, (_, i) => {
        const items = [products[i % products.length]!, products[(i * 7 + 3) % products.length]!]
          .filter((id, index, all) => all.indexOf(id) === index)
          .map((id) => ({ id, quantity: 1 + (i % 3) }))
        const baggage: Record<string, string> = i % 10 < 3 ? { baggage: faults[i % faults.length]! } : {}
        return shop.placeOrder({ userId: `u-mix-${i}`, items }, baggage)
      }),
    )
    const statuses = new Set(answers.map((answer) => answer.status))
    for (const status of statuses) expect([201, 402, 409, 504]).toContain(status)
    expect(statuses.has(201)).toBe(true)
    expect(statuses.has(402)).toBe(true)

    const order = shop.database('order')
    expect(
      await waitUntil(
        async () => (await number(order, "select count(*) from orders where status in ('pending', 'reserved')")) === 0,
      ),
    ).toBe(true)
    const sold = await soldByItem(inventory)
    const reserved = await rows(
      inventory,
      "select product_id, coalesce(sum(quantity), 0) as n from reservations where status = 'reserved' group by product_id",
    )
    expect(reserved).toEqual([])
    for (const [id, available] of (await rows(inventory, 'select id, available from products')).map(
      (row) => [String(row.id), Number(row.available)] as const,
    )) {
      expect(available).toBeGreaterThanOrEqual(0)
      expect(available + (sold.get(id) ?? 0) - (soldBefore.get(id) ?? 0)).toBe(initial.get(id)!)
    }
    // Every paid order's items were sold, every cancelled order's reservation released.
    for (const row of await rows(order, "select id, status from orders where user_id like 'u-mix-%'")) {
      const states = (
        await rows(inventory, 'select distinct status from reservations where order_id = ?', [String(row.id)])
      ).map((r) => r.status)
      expect(states).toEqual(row.status === 'paid' ? ['committed'] : states.length ? ['released'] : [])
    }
  })
})

async function soldByItem(inventory: Client): Promise<Map<string, number>> {
  const result = await inventory.execute(
    "select product_id, sum(quantity) as n from reservations where status = 'committed' group by product_id",
  )
  return new Map(result.rows.map((row) => [String(row.product_id), Number(row.n)]))
}
