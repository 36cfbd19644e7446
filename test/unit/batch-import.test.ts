import { describe, expect, test } from 'bun:test'
import { inProcessShop } from '../support/in-process.ts'
import { type FlatSpan, SPAN_KIND, STATUS } from '../support/otlp-json.ts'

const order = (userId: string, id = 'sku-cable') => ({ userId, items: [{ id, quantity: 1 }] })

describe('batch import', () => {
  test('NDJSON: each order gets its outcome, paid or its error code, and its own trace', async () => {
    const shop = await inProcessShop()
    const response = await shop.apps.gateway.fetch(
      new Request('http://gateway.internal/api/orders/batch', {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: `${[
          JSON.stringify(order('u-a')),
          '',
          '{"userId":',
          JSON.stringify(order('u-b', 'sku-nope')),
          JSON.stringify({ ...order('u-c'), items: [] }),
          JSON.stringify(order('u-d')),
        ].join('\n')}\n`,
      }),
    )
    expect(response.status).toBe(200)
    const { results } = await response.json()
    expect(results.map((result: any) => [result.index, result.status, result.error?.code])).toEqual([
      [0, 'paid', undefined],
      [1, 'failed', 'invalid_request'],
      [2, 'failed', 'unknown_item'],
      [3, 'failed', 'invalid_request'],
      [4, 'paid', undefined],
    ])
    const traceIds = results.map((result: any) => result.traceId)
    expect(new Set([...traceIds, response.headers.get('x-trace-id')]).size).toBe(6)
    const paid = await (await shop.request(`/api/orders/${results[4].orderId}`)).json()
    expect(paid).toMatchObject({ userId: 'u-d', status: 'paid' })
    expect(await shop.count('order', "select * from outbox where kind = 'order.paid'")).toBe(2)
  })

  test('a JSON array works the same; an empty, oversized or unlabelled batch is refused whole', async () => {
    const shop = await inProcessShop()
    const post = (body: string, type = 'application/json') =>
      shop.request('/api/orders/batch', { method: 'POST', headers: { 'content-type': type }, body })
    const array = await post(JSON.stringify([order('u-1'), order('u-2')]))
    expect((await array.json()).results.map((result: any) => result.status)).toEqual(['paid', 'paid'])
    for (const [body, type] of [
      ['[]', 'application/json'],
      ['{"userId":"u"}', 'application/json'],
      [Array.from({ length: 101 }, (_, i) => JSON.stringify(order(`u-${i}`))).join('\n'), 'application/x-ndjson'],
      [JSON.stringify(order('u-3')), 'text/plain'],
    ]) {
      const refused = await post(body!, type)
      expect(refused.status).toBe(400)
      expect((await refused.json()).error.code).toBe('invalid_request')
    }
    expect(await shop.count('order', 'select * from orders')).toBe(2)
  })

  test('every stage span is a child of its own order’s span, and the batch span links to every order', async () => {
    const shop = await inProcessShop()
    const response = await shop.importBatch(
      Array.from({ length: 20 }, (_, i) => order(`u-shape-${i}`, i % 2 ? 'sku-cable' : 'sku-mouse')),
    )
    const { results } = await response.json()
    expect(results.every((result: any) => result.status === 'paid')).toBe(true)
    const spans = await shop.spans()
    const batch = spans.find((span) => span.name === 'order_service.import_batch')!
    const perOrder = spans.filter((span) => span.name === 'order_service.import_order')
    expect(perOrder).toHaveLength(20)
    expect(batch.links.map((link) => link.spanId).sort()).toEqual(perOrder.map((span) => span.spanId).sort())
    for (const [index, result] of results.entries()) {
      const root = perOrder.find((span) => span.attributes['batch.index'] === index)!
      expect(root.traceId).toBe(result.traceId)
      expect(root.parentSpanId).toBeUndefined()
      expect(root.links).toEqual([{ traceId: batch.traceId, spanId: batch.spanId }])
      expect(root.attributes).toMatchObject({ 'order.id': result.orderId, 'order.status': 'paid' })
      const trace = spans.filter((span) => span.traceId === result.traceId)
      const under = (parent: FlatSpan) =>
        trace
          .filter((span) => span.parentSpanId === parent.spanId && span.kind === SPAN_KIND.INTERNAL)
          .sort((a, b) => Number(a.startNs - b.startNs))
          .map((span) => span.name)
      expect(under(root)).toEqual(['validate_order', 'process_order', 'notify_order'])
      const stage = (name: string) => trace.find((span) => span.name === name)!
      expect(under(stage('process_order'))).toEqual(
        expect.arrayContaining([
          'check_inventory',
          'validate_user',
          'calculate_price',
          'create_order_record',
          'reserve_inventory',
          'create_payment',
        ]),
      )
      expect(under(stage('notify_order'))).toEqual(['complete_order'])
    }
  })

  test('cancelling the batch mid-way ends every started span; recorded orders are settled, the rest cancelled', async () => {
    // The batch is aborted once the third order's charge is under way, and that charge is held until then: the
    // first three orders are recorded, the fourth is not.
    const abort = new AbortController()
    const arrived = Promise.withResolvers<void>()
    const released = Promise.withResolvers<void>()
    let charges = 0
    const shop = await inProcessShop({
      interpose: {
        payment: (next) => async (input, init) => {
          const request = input instanceof Request ? input : new Request(input, init)
          if (request.method === 'POST' && new URL(request.url).pathname === '/payments' && ++charges === 3) {
            arrived.resolve()
            await released.promise
          }
          return next(input, init)
        },
      },
    })
    const pending = shop.importBatch(
      Array.from({ length: 30 }, (_, i) => order(`u-cancel-${i}`)),
      {},
      abort.signal,
    )
    await arrived.promise
    abort.abort()
    released.resolve()
    const { results } = await (await pending).json()
    const statuses = results.map((result: any) => result.error?.code ?? result.status)
    // The three recorded orders are paid (the held charge went through once released); the orders read after them
    // are cancelled.
    const paid = 3
    expect(statuses.slice(0, paid)).toEqual(['paid', 'paid', 'paid'])
    expect(statuses.length).toBeGreaterThan(paid)
    expect(statuses.slice(paid).every((status: string) => status === 'cancelled')).toBe(true)

    const spans = await shop.spans()
    const batch = spans.find((span) => span.name === 'order_service.import_batch')!
    const perOrder = spans.filter((span) => span.name === 'order_service.import_order')
    // Every order span the batch started (each is linked) was exported, so it ended; the cancelled ones say so.
    expect(perOrder.map((span) => span.spanId).sort()).toEqual(batch.links.map((link) => link.spanId).sort())
    for (const span of perOrder.filter((span) => span.attributes['order.status'] === 'failed')) {
      expect(span.status).toMatchObject({ code: STATUS.ERROR, message: 'cancelled: the batch request was aborted' })
    }
    // Not all 30 lines were read: reading stopped with the abort (one order a stage at most was in flight).
    expect(perOrder.length).toBeLessThan(30)
    expect(await shop.count('order', "select * from orders where status in ('pending', 'reserved')")).toBe(0)
    expect(await shop.count('order', "select * from orders where status = 'paid'")).toBe(paid)
  })
})
