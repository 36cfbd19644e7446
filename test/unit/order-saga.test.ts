import { describe, expect, test } from 'bun:test'
import { type InProcessShop, inProcessShop } from '../support/in-process.ts'

const mouse = { id: 'sku-mouse', quantity: 2 }

/** The details of the error that cancelled the order, as stored with it. */
async function failureDetails(shop: InProcessShop, orderId: unknown) {
  const [row] = (
    await shop.databases.order.execute({
      sql: 'select failure_details from orders where id = ?',
      args: [String(orderId)],
    })
  ).rows
  return JSON.parse(String(row!.failure_details))
}

describe('order saga', () => {
  test('a placed order is paid, its stock sold and its payment stored', async () => {
    const shop = await inProcessShop()
    const before = await shop.stock('sku-mouse')
    const response = await shop.placeOrder({ userId: 'u-1', items: [mouse] })
    expect(response.status).toBe(201)
    const order = await response.json()
    expect(order).toMatchObject({
      userId: 'u-1',
      status: 'paid',
      totalAmount: 50,
      items: [{ id: 'sku-mouse', quantity: 2, unitPrice: 25 }],
    })
    expect(order.paymentId).toBeString()
    expect(await shop.stock('sku-mouse')).toBe(before - 2)
    expect(
      await shop.count('inventory', "select * from reservations where order_id = ? and status = 'committed'", [
        order.id,
      ]),
    ).toBe(1)
    expect(
      await shop.count('payment', "select * from payments where order_id = ? and status = 'succeeded'", [order.id]),
    ).toBe(1)
    const readBack = await shop.request(`/api/orders/${order.id}`)
    expect(await readBack.json()).toEqual(order)
  })

  test('a declined payment cancels the order and releases its reservation', async () => {
    const shop = await inProcessShop()
    const before = await shop.stock('sku-mouse')
    const response = await shop.placeOrder({ userId: 'u-2', items: [mouse] }, { baggage: 'fault.payment=decline' })
    expect(response.status).toBe(402)
    expect((await response.json()).error.code).toBe('payment_declined')
    expect(await shop.stock('sku-mouse')).toBe(before)
    expect(
      await shop.count(
        'order',
        "select * from orders where user_id = 'u-2' and status = 'cancelled' and failure_code = 'payment_declined'",
      ),
    ).toBe(1)
    expect(await shop.count('inventory', "select * from reservations where status = 'released'")).toBe(1)
  })

  test('a payment provider that never answers is a 504 after the retries, order cancelled', async () => {
    const shop = await inProcessShop({ env: { PAYMENT_ATTEMPT_TIMEOUT_MS: '30', PAYMENT_BACKOFF_MS: '5' } })
    const before = await shop.stock('sku-mouse')
    const response = await shop.placeOrder({ userId: 'u-3', items: [mouse] }, { baggage: 'fault.payment=timeout' })
    expect(response.status).toBe(504)
    const [order] = (await shop.databases.order.execute("select id from orders where user_id = 'u-3'")).rows
    const [payment] = (await shop.databases.payment.execute('select id from payments')).rows
    expect((await response.json()).error).toMatchObject({
      code: 'payment_timeout',
      details: { paymentId: payment!.id, orderId: order!.id },
    })
    expect(await shop.stock('sku-mouse')).toBe(before)
    expect(await shop.count('order', "select * from orders where user_id = 'u-3' and status = 'cancelled'")).toBe(1)
    // The order voided the payment before it gave up: no late answer of the provider can charge it any more.
    expect(await shop.count('payment', "select * from payments where status = 'voided' and attempts = 3")).toBe(1)
  })

  test('a payment service that is down is a 503; the order waits for it, then recovery cancels it, stock back', async () => {
    let paymentDown = true
    const shop = await inProcessShop({
      env: { ORDER_STALE_AFTER_MS: '0' },
      interpose: {
        payment: (next) => async (input, init) => {
          if (paymentDown) throw new TypeError('connection refused')
          return next(input, init)
        },
      },
    })
    const before = await shop.stock('sku-mouse')
    const response = await shop.placeOrder({ userId: 'u-4', items: [mouse] })
    expect(response.status).toBe(503)
    const [order] = (await shop.databases.order.execute("select id, status from orders where user_id = 'u-4'")).rows
    // The order is recorded, so the answer names it: the key is taken.
    expect((await response.json()).error).toMatchObject({
      code: 'upstream_unavailable',
      details: { orderId: order!.id },
    })
    // The charge may have gone through: without the payment service to void it, the order is not cancelled yet.
    expect(order!.status).toBe('reserved')

    paymentDown = false
    await shop.runTask('order recovery')
    expect(await shop.stock('sku-mouse')).toBe(before)
    expect(await shop.count('order', "select * from orders where user_id = 'u-4' and status = 'cancelled'")).toBe(1)
    expect(await shop.count('payment', "select * from payments where status = 'voided'")).toBe(1)
  })

  test('stock taken between the check and the reservation is a 409, order cancelled, nothing reserved', async () => {
    let shop: Awaited<ReturnType<typeof inProcessShop>>
    shop = await inProcessShop({
      interpose: {
        inventory: (next) => async (input, init) => {
          // Another buyer takes the last units right after this order's availability check.
          if (new Request(input, init).url.endsWith('/reservations')) await shop.setStock('sku-dock', 0)
          return next(input, init)
        },
      },
    })
    const key = { 'Idempotency-Key': 'k-race' }
    const body = { userId: 'u-5', items: [{ id: 'sku-dock', quantity: 1 }] }
    const response = await shop.placeOrder(body, key)
    expect(response.status).toBe(409)
    const [order] = (await shop.databases.order.execute("select id from orders where user_id = 'u-5'")).rows
    // The order was recorded: the answer names it, unlike a refusal of the stock check, which stores nothing.
    const first = await response.json()
    expect(first.error).toEqual({
      code: 'insufficient_inventory',
      message: 'not enough stock for some items',
      details: { unavailableItems: ['sku-dock'], orderId: order!.id },
    })
    expect(await shop.stock('sku-dock')).toBe(0)
    expect(await shop.count('inventory', 'select * from reservations')).toBe(0)
    expect(await shop.count('order', "select * from orders where user_id = 'u-5' and status = 'cancelled'")).toBe(1)

    // The key stays with the cancelled order: the same request gets the first answer, other items are refused.
    const again = await shop.placeOrder(body, key)
    expect(again.status).toBe(409)
    expect((await again.json()).error).toEqual(first.error)
    const other = await shop.placeOrder({ ...body, items: [mouse] }, key)
    expect(other.status).toBe(422)
    expect((await other.json()).error).toMatchObject({
      code: 'idempotency_key_reused',
      details: { orderId: order!.id },
    })
    expect(await shop.count('order', 'select * from orders')).toBe(1)
    // What the replays answer from: the first answer's details, kept with the order.
    expect(await failureDetails(shop, order!.id)).toEqual({ unavailableItems: ['sku-dock'] })
  })

  test('insufficient stock is a 409 that writes nothing and names no order: its key is free', async () => {
    const shop = await inProcessShop()
    const key = { 'Idempotency-Key': 'k-short' }
    const response = await shop.placeOrder({ userId: 'u-6', items: [{ id: 'sku-dock', quantity: 11 }, mouse] }, key)
    expect(response.status).toBe(409)
    const body = await response.json()
    expect(body.error).toEqual({
      code: 'insufficient_inventory',
      message: 'not enough stock for some items',
      details: { unavailableItems: ['sku-dock'] },
    })
    expect(body.traceId).toBe(response.headers.get('x-trace-id'))
    expect(await shop.count('order', 'select * from orders')).toBe(0)
    expect(await shop.count('inventory', 'select * from reservations')).toBe(0)
    expect(await shop.count('payment', 'select * from payments')).toBe(0)

    // Sent again with what there is, it is a new attempt.
    const fewer = await shop.placeOrder({ userId: 'u-6', items: [mouse] }, key)
    expect(fewer.status).toBe(201)
    expect(await shop.count('order', "select * from orders where idempotency_key = 'k-short'")).toBe(1)
  })

  test('an unknown item is a 404 unknown_item', async () => {
    const shop = await inProcessShop()
    const response = await shop.placeOrder({ userId: 'u-7', items: [{ id: 'sku-nope', quantity: 1 }] })
    expect(response.status).toBe(404)
    expect(await response.json()).toMatchObject({
      error: { code: 'unknown_item', details: { unknownItems: ['sku-nope'] } },
    })
  })

  test("a product's page: its price and stock now, or 404 unknown_item", async () => {
    const shop = await inProcessShop()
    await shop.setStock('sku-mouse', 7)
    const found = await shop.request('/api/products/sku-mouse')
    expect(found.status).toBe(200)
    const listed = ((await (await shop.request('/api/products')).json()) as { id: string }[]).find(
      (product) => product.id === 'sku-mouse',
    )
    expect(await found.json()).toEqual({ ...listed, available: 7 })
    const missing = await shop.request('/api/products/sku-nope')
    expect(missing.status).toBe(404)
    expect(await missing.json()).toMatchObject({
      error: { code: 'unknown_item', details: { unknownItems: ['sku-nope'] } },
    })
  })

  test('the same Idempotency-Key returns the first answer and creates nothing new', async () => {
    const shop = await inProcessShop()
    const first = await (await shop.placeOrder({ userId: 'u-8', items: [mouse] }, { 'Idempotency-Key': 'k-1' })).json()
    const again = await shop.placeOrder({ userId: 'u-8', items: [mouse] }, { 'Idempotency-Key': 'k-1' })
    expect(again.status).toBe(201)
    expect(await again.json()).toEqual(first)
    expect(await shop.count('order', 'select * from orders')).toBe(1)
    expect(await shop.count('payment', 'select * from payments')).toBe(1)
  })

  test('a replayed request of a declined order gets the first answer, details and all, without a new charge', async () => {
    const shop = await inProcessShop()
    const body = { userId: 'u-9', items: [mouse] }
    const key = { 'Idempotency-Key': 'ik-D' }
    const declined = await shop.placeOrder(body, { ...key, baggage: 'fault.payment=decline' })
    expect(declined.status).toBe(402)
    const [order] = (await shop.databases.order.execute('select id from orders')).rows
    const [payment] = (await shop.databases.payment.execute('select id from payments')).rows
    const first = await declined.json()
    expect(first.error).toEqual({
      code: 'payment_declined',
      message: 'the payment was declined',
      details: { paymentId: payment!.id, orderId: order!.id },
    })

    const again = await shop.placeOrder(body, key)
    expect(again.status).toBe(402)
    expect((await again.json()).error).toEqual(first.error)
    expect(await shop.count('order', 'select * from orders')).toBe(1)
    expect(await shop.count('payment', 'select * from payments')).toBe(1)
    expect(await failureDetails(shop, order!.id)).toEqual({ paymentId: payment!.id })
  })

  test('an order id in capitals finds the order', async () => {
    const shop = await inProcessShop()
    const order = await (await shop.placeOrder({ userId: 'u-14', items: [mouse] })).json()
    expect(await shop.count('order', 'select * from orders where id = ?', [order.id.toLowerCase()])).toBe(1)
    const response = await shop.request(`/api/orders/${order.id.toUpperCase()}`)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual(order)
  })

  test('an unknown order is a 404 order_not_found', async () => {
    const shop = await inProcessShop()
    const response = await shop.request('/api/orders/nope')
    expect(response.status).toBe(404)
    expect(await response.json()).toMatchObject({ error: { code: 'order_not_found' } })
  })

  test('once paid, an order is never cancelled: a failed completion is finished by recovery', async () => {
    let inventoryDown = true
    const shop = await inProcessShop({
      env: { ORDER_STALE_AFTER_MS: '0' },
      interpose: {
        inventory: (next) => async (input, init) => {
          if (inventoryDown && new Request(input, init).url.endsWith('/commit'))
            throw new TypeError('connection refused')
          return next(input, init)
        },
      },
    })
    const response = await shop.placeOrder({ userId: 'u-10', items: [mouse] })
    expect(response.status).toBe(503)
    expect(await shop.count('order', "select * from orders where user_id = 'u-10' and status = 'completing'")).toBe(1)
    expect(await shop.count('payment', "select * from payments where status = 'succeeded'")).toBe(1)

    inventoryDown = false
    await shop.runTask('order recovery')
    expect(await shop.count('order', "select * from orders where user_id = 'u-10' and status = 'paid'")).toBe(1)
    expect(await shop.count('inventory', "select * from reservations where status = 'committed'")).toBe(1)
  })

  test('a payment asked for twice for one order is charged once', async () => {
    const shop = await inProcessShop()
    const pay = () =>
      shop.internal(
        'payment',
        new Request('http://payment.internal/payments', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ orderId: 'o-twice', amount: 12.5 }),
        }),
      )
    const [first, second] = await Promise.all([pay(), pay()])
    const third = await pay()
    const answers = await Promise.all([first, second, third].map((answer) => answer.json()))
    expect(answers.map((answer) => answer.status)).toEqual(['succeeded', 'succeeded', 'succeeded'])
    expect(new Set(answers.map((answer) => answer.id)).size).toBe(1)
    const [row] = (
      await shop.databases.payment.execute(
        "select attempts, provider_reference from payments where order_id = 'o-twice'",
      )
    ).rows
    expect(row!.attempts).toBe(1)
    expect(String(row!.provider_reference)).toStartWith('ch_')
    expect(await shop.count('payment', 'select * from payments')).toBe(1)
  })

  test('an answer from payment lost on the way back does not cancel an order that was charged', async () => {
    const shop = await inProcessShop({
      interpose: {
        payment: (next) => async (input, init) => {
          const answer = await next(input, init)
          // The charge went through, then the connection dropped before the order service read the answer.
          if (new Request(input, init).url.endsWith('/payments')) throw new TypeError('connection reset')
          return answer
        },
      },
    })
    const before = await shop.stock('sku-mouse')
    const response = await shop.placeOrder({ userId: 'u-11', items: [mouse] })
    expect(response.status).toBe(201)
    expect((await response.json()).status).toBe('paid')
    expect(await shop.stock('sku-mouse')).toBe(before - 2)
    expect(await shop.count('inventory', "select * from reservations where status = 'committed'")).toBe(1)
  })

  test("an Idempotency-Key is the user's own: another user's same key places another order", async () => {
    const shop = await inProcessShop()
    const first = await (
      await shop.placeOrder({ userId: 'u-12', items: [mouse] }, { 'Idempotency-Key': 'k-shared' })
    ).json()
    const other = await shop.placeOrder(
      { userId: 'u-13', items: [{ id: 'sku-cable', quantity: 1 }] },
      { 'Idempotency-Key': 'k-shared' },
    )
    expect(other.status).toBe(201)
    const second = await other.json()
    expect(second.id).not.toBe(first.id)
    expect(second).toMatchObject({ userId: 'u-13', items: [{ id: 'sku-cable', quantity: 1 }] })
  })
})
