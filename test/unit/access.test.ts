import { describe, expect, test } from 'bun:test'
import { inProcessShop } from '../support/in-process.ts'

const mouse = { id: 'sku-mouse', quantity: 1 }

describe('only the gateway is public', () => {
  const internalCalls: [name: 'order' | 'inventory' | 'payment', method: string, path: string, body?: unknown][] = [
    ['payment', 'POST', '/payments', { orderId: 'no-such-order', amount: 999999999 }],
    ['payment', 'GET', '/payments?orderId=o-1'],
    ['payment', 'POST', '/orders/o-1/payment/void'],
    ['inventory', 'POST', '/reservations', { orderId: 'o-made-up', items: [{ id: 'sku-dock', quantity: 10 }] }],
    ['inventory', 'POST', '/reservations/o-1/release'],
    ['inventory', 'POST', '/reservations/o-1/commit'],
    ['inventory', 'GET', '/products'],
    ['order', 'POST', '/orders', { userId: 'u-1', items: [mouse] }],
    ['order', 'GET', '/orders/8b0f0f4e-31a8-4f3a-9d6e-5d0c2b1a7e11'],
  ]

  for (const [name, method, path, body] of internalCalls) {
    test(`${name} ${method} ${path} without the services' credential, or with a wrong one, is 401 and changes nothing`, async () => {
      const shop = await inProcessShop()
      const stockBefore = await shop.stock('sku-dock')
      for (const authorization of [undefined, 'Bearer not-the-token', `Basic ${btoa('a:b')}`]) {
        const request = new Request(`http://${name}.internal${path}`, {
          method,
          headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
          body: body === undefined ? undefined : JSON.stringify(body),
        })
        const response = await shop.apps[name].fetch(request)
        expect(response.status).toBe(401)
        expect(await response.json()).toMatchObject({ error: { code: 'unauthorized' } })
      }
      expect(await shop.count('payment', 'select * from payments')).toBe(0)
      expect(await shop.count('inventory', 'select * from reservations')).toBe(0)
      expect(await shop.count('order', 'select * from orders')).toBe(0)
      expect(await shop.stock('sku-dock')).toBe(stockBefore)
    })
  }

  test('every internal service answers /healthz without the credential, so a runner can tell it is up', async () => {
    const shop = await inProcessShop()
    for (const name of ['order', 'inventory', 'payment'] as const) {
      expect((await shop.apps[name].fetch(new Request(`http://${name}.internal/healthz`))).status).toBe(200)
    }
  })

  test('a service with no credential configured refuses every call', async () => {
    const shop = await inProcessShop({ env: { SERVICE_TOKEN: '' } })
    const response = await shop.placeOrder({ userId: 'u-1', items: [mouse] })
    // The gateway cannot reach the order service: the shop is closed, not open.
    expect(response.status).toBe(503)
    expect(await shop.count('order', 'select * from orders')).toBe(0)
  })
})

describe('the gateway is the one door, and it guards it', () => {
  test('a deadline sent from outside is ignored: the gateway sets its own', async () => {
    const shop = await inProcessShop()
    const response = await shop.placeOrder({ userId: 'u-deadline', items: [mouse] }, { 'x-request-timeout-ms': '1' })
    expect(response.status).toBe(201)
    expect((await response.json()).status).toBe('paid')
  })

  test('an order id that is not one is 404 order_not_found, and never reaches another path', async () => {
    const shop = await inProcessShop()
    for (const id of ['..%2Fhealthz', '..%2F..%2Fnope', 'nope', '%00', `${crypto.randomUUID()}x`]) {
      const response = await shop.request(`/api/orders/${id}`)
      expect(response.status).toBe(404)
      expect((await response.json()).error.code).toBe('order_not_found')
    }
    const unknown = await shop.request(`/api/orders/${crypto.randomUUID()}`)
    expect(unknown.status).toBe(404)
    expect((await unknown.json()).error.code).toBe('order_not_found')
  })

  test('ids with control characters or unpaired surrogates, and bodies that are not UTF-8, are 400 and store nothing', async () => {
    const shop = await inProcessShop()
    for (const body of [
      { userId: 'a\u0000b', items: [mouse] },
      { userId: 'tab\there', items: [mouse] },
      { userId: '\ud800', items: [mouse] },
      { userId: 'u-1', items: [{ id: 'sku-\u0007', quantity: 1 }] },
      { userId: 'u-1', items: [mouse], requestId: 'line\nbreak' },
    ]) {
      const response = await shop.placeOrder(body)
      expect(response.status).toBe(400)
      expect((await response.json()).error.code).toBe('invalid_request')
    }
    const bytes = new TextEncoder().encode('{"userId":"u-XX","items":[{"id":"sku-mouse","quantity":1}]}')
    bytes.set([0xc3, 0x28], 10)
    const invalidUtf8 = await shop.request('/api/orders', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: bytes,
    })
    expect(invalidUtf8.status).toBe(400)
    expect((await invalidUtf8.json()).error).toMatchObject({
      code: 'invalid_request',
      message: 'the body is not valid UTF-8',
    })
    expect(await shop.count('order', 'select * from orders')).toBe(0)
  })

  test('a user id with letters from any script is welcome', async () => {
    const shop = await inProcessShop()
    const response = await shop.placeOrder({ userId: 'Zoë-東京-🛒', items: [mouse] })
    expect(response.status).toBe(201)
    expect((await response.json()).userId).toBe('Zoë-東京-🛒')
  })
})
