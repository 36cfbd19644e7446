import { describe, expect, test } from 'bun:test'
import { type InProcessShop, inProcessShop } from '../support/in-process.ts'

const post = (path: string, body?: unknown) =>
  new Request(`http://inventory.internal${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })

/** `POST /reservations` of an order's items, straight to the inventory service. */
const reserve = (shop: InProcessShop, orderId: string, items: { id: string; quantity: number }[]) =>
  shop.internal('inventory', post('/reservations', { orderId, items }))

describe('inventory reservation', () => {
  test('50 concurrent reservations of 1 with 20 in stock: exactly 20 succeed, stock 0', async () => {
    const shop = await inProcessShop()
    await shop.setStock('sku-dock', 20)
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => reserve(shop, `o-${i}`, [{ id: 'sku-dock', quantity: 1 }])),
    )
    const statuses = answers.map((answer) => answer.status)
    expect(statuses.filter((status) => status === 201)).toHaveLength(20)
    expect(statuses.filter((status) => status === 409)).toHaveLength(30)
    expect(await shop.stock('sku-dock')).toBe(0)
    expect(await shop.count('inventory', "select * from reservations where status = 'reserved'")).toBe(20)
  })

  test('a reservation is all or nothing across items', async () => {
    const shop = await inProcessShop()
    await shop.setStock('sku-dock', 1)
    const mouse = await shop.stock('sku-mouse')
    const answer = await reserve(shop, 'o-1', [
      { id: 'sku-mouse', quantity: 3 },
      { id: 'sku-dock', quantity: 2 },
    ])
    expect(answer.status).toBe(409)
    expect(await shop.stock('sku-mouse')).toBe(mouse)
    expect(await shop.stock('sku-dock')).toBe(1)
  })

  test('an order reserves once: a second reservation with other items is answered with the first and takes nothing', async () => {
    const shop = await inProcessShop()
    const cable = await shop.stock('sku-cable')
    const first = await reserve(shop, 'o-once', [{ id: 'sku-mouse', quantity: 1 }])
    expect(first.status).toBe(201)
    const second = await reserve(shop, 'o-once', [{ id: 'sku-cable', quantity: 3 }])
    expect(second.status).toBe(201)
    expect(await second.json()).toEqual(await first.json())
    expect(await shop.stock('sku-cable')).toBe(cable)
    expect(await shop.count('inventory', "select * from reservations where order_id = 'o-once'")).toBe(1)
  })

  test('an unknown item is 404 unknown_item and reserves nothing, the known items beside it neither', async () => {
    const shop = await inProcessShop()
    const mouse = await shop.stock('sku-mouse')
    const answer = await reserve(shop, 'o-unknown', [
      { id: 'sku-mouse', quantity: 1 },
      { id: 'sku-nope', quantity: 1 },
    ])
    expect(answer.status).toBe(404)
    expect((await answer.json()).error).toMatchObject({ code: 'unknown_item', details: { unknownItems: ['sku-nope'] } })
    expect(await shop.stock('sku-mouse')).toBe(mouse)
    expect(await shop.count('inventory', 'select * from reservations')).toBe(0)
  })

  test('reserving the same order again, even concurrently, takes stock once', async () => {
    const shop = await inProcessShop()
    const before = await shop.stock('sku-mouse')
    const items = [{ id: 'sku-mouse', quantity: 4 }]
    const answers = await Promise.all(Array.from({ length: 10 }, () => reserve(shop, 'o-same', items)))
    expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(201))
    expect(await shop.stock('sku-mouse')).toBe(before - 4)
  })

  test('release gives stock back once; a committed reservation is not released', async () => {
    const shop = await inProcessShop()
    const before = await shop.stock('sku-mouse')
    await reserve(shop, 'o-r', [{ id: 'sku-mouse', quantity: 5 }])
    await reserve(shop, 'o-c', [{ id: 'sku-mouse', quantity: 1 }])
    await shop.internal('inventory', post('/reservations/o-c/commit'))
    for (let i = 0; i < 3; i++) {
      const released = await shop.internal('inventory', post('/reservations/o-r/release'))
      expect((await released.json()).reservation.status).toBe('released')
    }
    const committed = await shop.internal('inventory', post('/reservations/o-c/release'))
    expect((await committed.json()).reservation.status).toBe('committed')
    expect(await shop.stock('sku-mouse')).toBe(before - 1)
  })

  test('a reservation that arrives after its order was released is refused and holds no stock', async () => {
    const shop = await inProcessShop()
    const before = await shop.stock('sku-mouse')
    // The order gave up (its deadline passed) and compensated before its reservation reached the inventory.
    expect((await shop.internal('inventory', post('/reservations/o-late/release'))).status).toBe(200)
    const late = await reserve(shop, 'o-late', [{ id: 'sku-mouse', quantity: 3 }])
    expect(late.status).toBe(409)
    expect((await late.json()).error.code).toBe('reservation_closed')
    expect(await shop.stock('sku-mouse')).toBe(before)
    expect(await shop.count('inventory', "select * from reservations where order_id = 'o-late'")).toBe(0)
  })

  test('a released reservation asked for again is refused, not reported as reserved', async () => {
    const shop = await inProcessShop()
    const items = [{ id: 'sku-mouse', quantity: 1 }]
    expect((await reserve(shop, 'o-again', items)).status).toBe(201)
    await shop.internal('inventory', post('/reservations/o-again/release'))
    const again = await reserve(shop, 'o-again', items)
    expect(again.status).toBe(409)
    expect((await again.json()).error.code).toBe('reservation_closed')
  })
})
