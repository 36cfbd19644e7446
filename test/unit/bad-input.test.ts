import { beforeAll, describe, expect, test } from 'bun:test'
import { type InProcessShop, inProcessShop } from '../support/in-process.ts'

const item = { id: 'sku-mouse', quantity: 1 }
const json = (body: unknown) => JSON.stringify(body)

/** Bad requests a user (or an attacker) might send: each is a 4xx JSON error that writes nothing. */
const cases: { name: string; body: string; headers?: Record<string, string>; status: number; code: string }[] = [
  { name: 'a body that is not JSON', body: '{"userId": "u", "items": [', status: 400, code: 'invalid_request' },
  {
    name: 'a body that is not labelled JSON',
    body: json({ userId: 'u', items: [item] }),
    headers: { 'content-type': 'text/plain' },
    status: 400,
    code: 'invalid_request',
  },
  { name: 'an empty body', body: '', status: 400, code: 'invalid_request' },
  { name: 'JSON that is not an object', body: '[1, 2, 3]', status: 400, code: 'invalid_request' },
  { name: 'JSON null', body: 'null', status: 400, code: 'invalid_request' },
  { name: 'a missing userId', body: json({ items: [item] }), status: 400, code: 'invalid_request' },
  { name: 'a missing items list', body: json({ userId: 'u' }), status: 400, code: 'invalid_request' },
  { name: 'userId of the wrong type', body: json({ userId: 42, items: [item] }), status: 400, code: 'invalid_request' },
  { name: 'an empty userId', body: json({ userId: '', items: [item] }), status: 400, code: 'invalid_request' },
  {
    name: 'items that is not a list',
    body: json({ userId: 'u', items: { id: 'sku-mouse' } }),
    status: 400,
    code: 'invalid_request',
  },
  { name: 'an empty items list', body: json({ userId: 'u', items: [] }), status: 400, code: 'invalid_request' },
  {
    name: 'an item without an id',
    body: json({ userId: 'u', items: [{ quantity: 1 }] }),
    status: 400,
    code: 'invalid_request',
  },
  {
    name: 'a quantity as a string',
    body: json({ userId: 'u', items: [{ id: 'sku-mouse', quantity: '1' }] }),
    status: 400,
    code: 'invalid_request',
  },
  {
    name: 'a negative quantity',
    body: json({ userId: 'u', items: [{ id: 'sku-mouse', quantity: -1 }] }),
    status: 400,
    code: 'invalid_request',
  },
  {
    name: 'a zero quantity',
    body: json({ userId: 'u', items: [{ id: 'sku-mouse', quantity: 0 }] }),
    status: 400,
    code: 'invalid_request',
  },
  {
    name: 'a fractional quantity',
    body: json({ userId: 'u', items: [{ id: 'sku-mouse', quantity: 1.5 }] }),
    status: 400,
    code: 'invalid_request',
  },
  {
    name: 'a huge quantity',
    body: json({ userId: 'u', items: [{ id: 'sku-mouse', quantity: 1e12 }] }),
    status: 400,
    code: 'invalid_request',
  },
  {
    name: 'a quantity over 1000',
    body: json({ userId: 'u', items: [{ id: 'sku-mouse', quantity: 1001 }] }),
    status: 400,
    code: 'invalid_request',
  },
  { name: 'duplicate items', body: json({ userId: 'u', items: [item, item] }), status: 400, code: 'invalid_request' },
  {
    name: '10 000 items',
    body: json({ userId: 'u', items: Array.from({ length: 10_000 }, (_, i) => ({ id: `i${i}`, quantity: 1 })) }),
    status: 400,
    code: 'invalid_request',
  },
  {
    name: 'a 1 MiB body',
    body: json({ userId: 'u', items: [item], padding: 'x'.repeat(1024 * 1024) }),
    status: 400,
    code: 'invalid_request',
  },
  {
    name: 'a requestId of the wrong type',
    body: json({ userId: 'u', items: [item], requestId: 7 }),
    status: 400,
    code: 'invalid_request',
  },
  {
    name: 'an unknown item',
    body: json({ userId: 'u', items: [{ id: 'sku-unicorn', quantity: 1 }] }),
    status: 404,
    code: 'unknown_item',
  },
  {
    name: 'an unknown item beside a known one',
    body: json({ userId: 'u', items: [item, { id: 'sku-unicorn', quantity: 1 }] }),
    status: 404,
    code: 'unknown_item',
  },
  {
    name: 'an over-long Idempotency-Key',
    body: json({ userId: 'u', items: [item] }),
    headers: { 'idempotency-key': 'k'.repeat(500) },
    status: 400,
    code: 'invalid_request',
  },
]

describe('bad input to POST /api/orders', () => {
  let shop: InProcessShop
  let stockBefore: number
  beforeAll(async () => {
    shop = await inProcessShop()
    stockBefore = await shop.stock('sku-mouse')
  })

  for (const { name, body, headers, status, code } of cases) {
    test(`${name}: ${status} ${code}, nothing written`, async () => {
      const response = await shop.request('/api/orders', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      })
      expect(response.status).toBe(status)
      expect(response.headers.get('content-type')).toContain('application/json')
      const answer = await response.json()
      expect(answer.error.code).toBe(code)
      expect(answer.error.message).toBeString()
      expect(answer.traceId).toBe(response.headers.get('x-trace-id')!)
      expect(await shop.count('order', 'select * from orders')).toBe(0)
      expect(await shop.count('inventory', 'select * from reservations')).toBe(0)
      expect(await shop.count('payment', 'select * from payments')).toBe(0)
      expect(await shop.stock('sku-mouse')).toBe(stockBefore)
    })
  }

  for (const [header, value] of [
    ['traceparent', 'not-a-traceparent'],
    ['traceparent', '00-zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz-00f067aa0ba902b7-01'],
    ['tracestate', '=,,;;=bad=='],
    ['baggage', ';;=%%%,fault.payment'],
    ['baggage', `k=${'v'.repeat(10_000)}`],
  ] as const) {
    test(`a malformed ${header} header starts a fresh trace and the order goes through`, async () => {
      const response = await shop.placeOrder({ userId: `u-${header}`, items: [item] }, { [header]: value })
      expect(response.status).toBe(201)
      expect(response.headers.get('x-trace-id')).toMatch(/^[0-9a-f]{32}$/)
      expect(response.headers.get('x-trace-id')).not.toBe('0'.repeat(32))
    })
  }
})

describe('faults', () => {
  test('fault baggage is ignored unless FAULTS=on', async () => {
    const shop = await inProcessShop({ env: { FAULTS: 'off' } })
    const response = await shop.placeOrder(
      { userId: 'u-nofault', items: [item] },
      { baggage: 'fault.payment=decline,fault.order=crash:after_record' },
    )
    expect(response.status).toBe(201)
    expect((await response.json()).status).toBe('paid')
    const spans = await shop.spans()
    expect(spans.filter((span) => 'fault.injected' in span.attributes)).toEqual([])
  })

  test('a service-wide fault from env applies to every request when FAULTS=on', async () => {
    const shop = await inProcessShop({ env: { PAYMENT_FAULT: 'decline' } })
    const response = await shop.placeOrder({ userId: 'u-envfault', items: [item] })
    expect(response.status).toBe(402)
    const payment = (await shop.spans()).find((span) => span.name === 'payment.create')!
    expect(payment.attributes['fault.injected']).toBe('decline')
  })
})

/** The whole answer to a bad request, word for word: the first problem in the message, every problem in the details. */
describe('the exact answer to a bad request', () => {
  const issue = (path: string, message: string) => ({ path, message })
  const invalid = (...issues: { path: string; message: string }[]) => ({
    code: 'invalid_request',
    message: `${issues[0]!.path || 'body'}: ${issues[0]!.message}`,
    details: { issues },
  })
  const manyItems = Array.from({ length: 150 }, (_, i) => ({ id: i === 5 ? 7 : `i${i}`, quantity: 1 }))
  const cases: [
    service: 'gateway' | 'inventory' | 'payment',
    method: string,
    path: string,
    body: unknown,
    error: unknown,
  ][] = [
    ['gateway', 'POST', '/api/orders', null, invalid(issue('', 'Invalid input: expected object, received null'))],
    [
      'gateway',
      'POST',
      '/api/orders',
      {},
      invalid(
        issue('userId', 'Invalid input: expected string, received undefined'),
        issue('items', 'Invalid input: expected array, received undefined'),
      ),
    ],
    [
      'gateway',
      'POST',
      '/api/orders',
      { userId: '', items: [item] },
      invalid(issue('userId', 'Too small: expected string to have >=1 characters')),
    ],
    [
      'gateway',
      'POST',
      '/api/orders',
      { userId: 'u'.repeat(129), items: [item] },
      invalid(issue('userId', 'Too big: expected string to have <=128 characters')),
    ],
    [
      'gateway',
      'POST',
      '/api/orders',
      { userId: 'u', items: [{ id: '', quantity: 0 }] },
      invalid(
        issue('items.0.id', 'Too small: expected string to have >=1 characters'),
        issue('items.0.quantity', 'Too small: expected number to be >=1'),
      ),
    ],
    [
      'gateway',
      'POST',
      '/api/orders',
      { userId: 'u', items: [item, { id: 'sku-dock', quantity: 2.5 }] },
      invalid(issue('items.1.quantity', 'Invalid input: expected int, received number')),
    ],
    [
      'gateway',
      'POST',
      '/api/orders',
      { userId: 'u', items: [{ id: 'sku-mouse', quantity: 1001 }] },
      invalid(issue('items.0.quantity', 'Too big: expected number to be <=1000')),
    ],
    [
      'gateway',
      'POST',
      '/api/orders',
      { userId: 'u', items: [] },
      invalid(issue('items', 'at least one item is required')),
    ],
    [
      'gateway',
      'POST',
      '/api/orders',
      { userId: 'u', items: [item, item] },
      invalid(issue('items', 'duplicate item ids')),
    ],
    ['gateway', 'POST', '/api/orders', { userId: 'u', items: manyItems }, invalid(issue('items', 'at most 100 items'))],
    [
      'gateway',
      'POST',
      '/api/orders',
      { userId: 'u', items: [item], requestId: 'a\nb' },
      invalid(issue('requestId', 'control characters and unpaired surrogates are not allowed')),
    ],
    [
      'inventory',
      'POST',
      '/reservations',
      { items: [{ id: 'sku-\u0007', quantity: '1' }] },
      invalid(
        issue('orderId', 'Invalid input: expected string, received undefined'),
        issue('items.0.id', 'control characters and unpaired surrogates are not allowed'),
        issue('items.0.quantity', 'Invalid input: expected number, received string'),
      ),
    ],
    [
      'gateway',
      'GET',
      '/api/products/sku-%07',
      undefined,
      invalid(issue('id', 'control characters and unpaired surrogates are not allowed')),
    ],
    [
      'inventory',
      'GET',
      `/products/${'x'.repeat(65)}`,
      undefined,
      invalid(issue('id', 'Too big: expected string to have <=64 characters')),
    ],
    [
      'payment',
      'POST',
      '/payments',
      { orderId: 'o-1', amount: 0 },
      invalid(issue('amount', 'Too small: expected number to be >0')),
    ],
    [
      'payment',
      'POST',
      '/payments',
      { orderId: 'o-1', amount: 2e9 },
      invalid(issue('amount', 'Too big: expected number to be <=1000000000')),
    ],
    [
      'payment',
      'GET',
      '/payments?orderId=a&orderId=b',
      undefined,
      invalid(issue('orderId', 'Invalid input: expected string, received array')),
    ],
    [
      'payment',
      'POST',
      '/orders/%00/payment/void',
      undefined,
      invalid(issue('orderId', 'control characters and unpaired surrogates are not allowed')),
    ],
  ]

  for (const [service, method, path, body, error] of cases) {
    test(`${service} ${method} ${path.slice(0, 40)} ${JSON.stringify(body)?.slice(0, 60) ?? ''}`, async () => {
      const shop = await inProcessShop()
      const request = new Request(`http://${service}.internal${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
      const response =
        service === 'gateway' ? await shop.apps.gateway.fetch(request) : await shop.internal(service, request)
      expect(response.status).toBe(400)
      expect((await response.json()).error).toEqual(error)
    })
  }

  test('an Idempotency-Key over 128 characters', async () => {
    const shop = await inProcessShop()
    const response = await shop.placeOrder({ userId: 'u', items: [item] }, { 'idempotency-key': 'k'.repeat(129) })
    expect(response.status).toBe(400)
    expect((await response.json()).error).toEqual(
      invalid(issue('idempotency-key', 'Too big: expected string to have <=128 characters')),
    )
  })
})
