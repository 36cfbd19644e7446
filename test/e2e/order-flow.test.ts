import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { SPAN_KIND, STATUS } from '../support/otlp-json.ts'
import { startOtlpReceiver } from '../support/otlp-receiver.ts'
import { type RunningSystem, runtimes, startSystem } from '../support/system.ts'
import { traceTree } from '../support/trace-tree.ts'

// These tests start real processes and wait for their traces; the 5 s default is too short.
setDefaultTimeout(60_000)

for (const runtime of runtimes) {
  describe(`order flow on ${runtime}`, () => {
    const receiver = startOtlpReceiver()
    let system: RunningSystem

    beforeAll(async () => {
      system = await startSystem(runtime, {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      })
    })
    afterAll(async () => {
      await system?.stop()
      receiver.stop()
    })

    // On Workers only the gateway has a port: the others are reached through service bindings, never directly.
    const exposed =
      runtime === 'workers' ? (['gateway'] as const) : (['gateway', 'order', 'inventory', 'payment'] as const)
    test(`${exposed.join(', ')} answer /healthz`, async () => {
      for (const name of exposed)
        expect((await fetch(`http://127.0.0.1:${system.ports[name]}/healthz`)).status).toBe(200)
    })

    test('the catalogue lists products with price and stock', async () => {
      const response = await fetch(`${system.gateway}/api/products`)
      expect(response.status).toBe(200)
      const products = await response.json()
      expect(products.length).toBeGreaterThanOrEqual(10)
      expect(products).toContainEqual({ id: 'sku-mouse', name: 'Wireless mouse', price: 25, available: 120 })
    })

    test('an order is paid, stored, readable, and one trace across the four services', async () => {
      const response = await system.placeOrder({
        userId: 'u-e2e',
        items: [
          { id: 'sku-keyboard', quantity: 1 },
          { id: 'sku-cable', quantity: 3 },
        ],
      })
      expect(response.status).toBe(201)
      const order = await response.json()
      expect(order).toMatchObject({ status: 'paid', totalAmount: 89 + 36, userId: 'u-e2e' })
      const traceId = response.headers.get('x-trace-id')!
      expect(traceId).toMatch(/^[0-9a-f]{32}$/)
      expect(await (await fetch(`${system.gateway}/api/orders/${order.id}`)).json()).toEqual(order)

      const stored = await system
        .database('order')
        .execute({ sql: 'select status, payment_id from orders where id = ?', args: [order.id] })
      expect(stored.rows[0]).toMatchObject({ status: 'paid', payment_id: order.paymentId })
      const stock = await system
        .database('inventory')
        .execute("select available from products where id = 'sku-keyboard'")
      expect(stock.rows[0]!.available).toBe(49)

      const trace = await receiver.trace(
        traceId,
        (spans) =>
          spans.some((span) => span.name === 'payment.create') &&
          spans.some((span) => span.name === 'complete_order') &&
          spans.some((span) => span.name === 'POST /api/orders'),
      )
      expect(new Set(trace.map((span) => span.service))).toEqual(new Set(['gateway', 'order', 'inventory', 'payment']))
      // Within one service a span lies inside its parent: starts are to the microsecond (a start rounded down to its
      // millisecond, as the SDK takes it, put children past their parents' ends).
      const byId = new Map(trace.map((span) => [span.spanId, span]))
      const outsideParent = trace.filter((span) => {
        const parent = byId.get(span.parentSpanId ?? '')
        return parent?.service === span.service && (span.startNs < parent.startNs || span.endNs > parent.endNs)
      })
      expect(outsideParent.map((span) => `${span.service}/${span.name}`)).toEqual([])
      const tree = traceTree(trace)
      expect(tree.root).toMatchObject({ service: 'gateway', name: 'POST /api/orders', kind: SPAN_KIND.SERVER })
      expect(tree.root.attributes).toMatchObject({
        'http.route': '/api/orders',
        'http.response.status_code': 201,
        'http.request.method': 'POST',
      })

      const gatewaySpan = tree.child(tree.root, 'gateway', 'api_gateway.create_order')
      expect(gatewaySpan.attributes).toMatchObject({
        'user.id': 'u-e2e',
        'items.count': 2,
        'order.id': order.id,
        'order.status': 'paid',
        'order.total': 125,
      })
      const orderSpan = tree.path(gatewaySpan, 'gateway/POST', 'order/POST /orders', 'order/order_service.create_order')
      expect(orderSpan.attributes).toMatchObject({
        'user.id': 'u-e2e',
        'items.count': 2,
        'order.id': order.id,
        'order.status': 'paid',
        'order.total': 125,
      })
      const steps = tree
        .childrenOf(orderSpan)
        .filter((span) => span.kind === SPAN_KIND.INTERNAL)
        .sort((a, b) => Number(a.startNs - b.startNs))
      // The two pre-checks run side by side (ORDER_PRECHECKS=parallel), then the items are priced from the stock
      // check's answer, all before the order is recorded.
      expect(
        steps
          .slice(0, 2)
          .map((span) => span.name)
          .sort(),
      ).toEqual(['check_inventory', 'validate_user'])
      expect(steps.slice(2).map((span) => span.name)).toEqual([
        'calculate_price',
        'create_order_record',
        'reserve_inventory',
        'create_payment',
        'complete_order',
      ])
      // A service's spans of one trace are placed by one monotonic clock: the checks end before the pricing starts.
      for (const check of steps.slice(0, 2)) expect(check.endNs).toBeLessThanOrEqual(steps[2]!.startNs)
      const pricing = tree.child(orderSpan, 'order', 'calculate_price')
      expect(
        tree
          .childrenOf(pricing)
          .map((span) => `${span.name} ${span.attributes['item.id']}`)
          .sort(),
      ).toEqual(['price_item sku-cable', 'price_item sku-keyboard'])
      expect(pricing.attributes['order.total']).toBe(125)

      const check = tree.path(
        orderSpan,
        'order/check_inventory',
        'order/POST',
        'inventory/POST /availability',
        'inventory/inventory.check_availability',
      )
      expect(check.events.map((event) => [event.name, event.attributes['item.id']])).toEqual([
        ['check_item', 'sku-keyboard'],
        ['check_item', 'sku-cable'],
      ])
      const select = tree.child(check, 'inventory', 'SELECT products')
      expect(select.attributes).toMatchObject({
        'db.system.name': 'sqlite',
        'db.operation.name': 'SELECT',
        'db.collection.name': 'products',
      })
      expect(select.attributes['db.query.text']).toContain('?')
      expect(select.attributes['db.query.text']).not.toContain('sku-keyboard')

      const record = tree.child(orderSpan, 'order', 'create_order_record')
      expect(tree.child(record, 'order', 'BATCH').attributes['db.operation.batch.size']).toBe(2)

      const reserve = tree.path(
        orderSpan,
        'order/reserve_inventory',
        'order/POST',
        'inventory/POST /reservations',
        'inventory/inventory.reserve',
      )
      expect(reserve.attributes['order.id']).toBe(order.id)
      expect(reserve.events.filter((event) => event.name === 'item_reserved')).toHaveLength(2)

      const payment = tree.path(
        orderSpan,
        'order/create_payment',
        'order/POST',
        'payment/POST /payments',
        'payment/payment.create',
      )
      expect(payment.attributes).toMatchObject({
        'order.id': order.id,
        amount: 125,
        'payment.id': order.paymentId,
        'payment.status': 'succeeded',
      })
      expect(tree.child(orderSpan, 'order', 'create_payment').attributes).toMatchObject({
        'payment.id': order.paymentId,
        'payment.status': 'succeeded',
      })

      expect(trace.filter((span) => span.status.code === STATUS.ERROR)).toEqual([])
    })

    test('unavailable stock is a 409 that writes nothing, with ERROR on exactly the failing spans', async () => {
      const orders = await system.database('order').execute('select count(*) as n from orders')
      const response = await system.placeOrder({ userId: 'u-409', items: [{ id: 'sku-dock', quantity: 11 }] })
      expect(response.status).toBe(409)
      const body = await response.json()
      expect(body).toMatchObject({
        error: { code: 'insufficient_inventory', details: { unavailableItems: ['sku-dock'] } },
      })
      const traceId = response.headers.get('x-trace-id')!
      expect(body.traceId).toBe(traceId)

      expect((await system.database('order').execute('select count(*) as n from orders')).rows[0]!.n).toBe(
        orders.rows[0]!.n,
      )
      expect(
        (await system.database('inventory').execute("select available from products where id = 'sku-dock'")).rows[0]!
          .available,
      ).toBe(10)

      const trace = await receiver.trace(traceId, (spans) => spans.some((span) => span.name === 'POST /api/orders'))
      const failing = trace
        .filter((span) => span.status.code === STATUS.ERROR)
        .map((span) => `${span.service}/${span.name}`)
      expect(failing.sort()).toEqual(
        [
          'gateway/api_gateway.create_order',
          'gateway/POST',
          'order/order_service.create_order',
          'order/check_inventory',
          'order/POST',
          'inventory/inventory.check_availability',
        ].sort(),
      )
      const check = trace.find((span) => span.name === 'inventory.check_availability')!
      expect(check.status.message).toBe('not enough stock for some items')
      expect(check.attributes['error.type']).toBe('insufficient_inventory')
      const names = trace.map((span) => span.name)
      for (const absent of ['create_order_record', 'reserve_inventory', 'create_payment', 'payment.create'])
        expect(names).not.toContain(absent)
    })

    test('concurrent orders are all served, each taking its stock once', async () => {
      const stock = async () =>
        Number(
          (await system.database('inventory').execute("select available from products where id = 'sku-desk-mat'"))
            .rows[0]!.available,
        )
      const before = await stock()
      const answers = await Promise.all(
        Array.from({ length: 24 }, (_, i) =>
          system.placeOrder({ userId: `u-concurrent-${i}`, items: [{ id: 'sku-desk-mat', quantity: 1 }] }),
        ),
      )
      expect(answers.map((answer) => answer.status)).toEqual(Array(24).fill(201))
      expect(await stock()).toBe(before - 24)
    })

    test('a bad body is a 400 JSON error with the trace id', async () => {
      const response = await fetch(`${system.gateway}/api/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"userId":',
      })
      expect(response.status).toBe(400)
      const body = await response.json()
      expect(body.error.code).toBe('invalid_request')
      expect(body.traceId).toBe(response.headers.get('x-trace-id')!)
    })
  })
}
