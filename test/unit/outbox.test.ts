import { describe, expect, setSystemTime, test } from 'bun:test'
import { retryDelayMs } from '../../services/order/outbox.ts'
import { inProcessShop } from '../support/in-process.ts'
import { STATUS } from '../support/otlp-json.ts'

const mouse = { id: 'sku-mouse', quantity: 1 }

/** A webhook receiver on a free port that fails the first `failures` deliveries with a 500. */
function webhook(failures: number) {
  const received: { idempotencyKey: string | null; traceparent: string | null; body: any }[] = []
  const server = Bun.serve({
    port: 0,
    async fetch(request) {
      received.push({
        idempotencyKey: request.headers.get('idempotency-key'),
        traceparent: request.headers.get('traceparent'),
        body: await request.json(),
      })
      return new Response(null, { status: received.length <= failures ? 500 : 204 })
    },
  })
  return { url: `http://127.0.0.1:${server.port}/hooks/orders`, received, stop: () => server.stop(true) }
}

describe('outbox', () => {
  test('a paid order and a cancelled one each write their notification with the status change', async () => {
    const shop = await inProcessShop()
    const paid = await (await shop.placeOrder({ userId: 'u-paid', items: [mouse] })).json()
    const declined = await shop.placeOrder(
      { userId: 'u-declined', items: [mouse] },
      { baggage: 'fault.payment=decline' },
    )
    expect(declined.status).toBe(402)
    const rows = await shop.databases.order.execute(
      'select o.status, x.kind, x.payload, x.traceparent, x.delivered_at from outbox x join orders o on o.id = x.order_id order by x.created_at',
    )
    expect(rows.rows.map((row) => [row.status, row.kind])).toEqual([
      ['paid', 'order.paid'],
      ['cancelled', 'order.cancelled'],
    ])
    expect(JSON.parse(String(rows.rows[0]!.payload))).toEqual(paid)
    expect(JSON.parse(String(rows.rows[1]!.payload))).toMatchObject({ userId: 'u-declined', status: 'cancelled' })
    for (const row of rows.rows) {
      expect(String(row.traceparent)).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
      expect(row.delivered_at).toBeNull()
    }
    // A failed pre-check records nothing, so it announces nothing.
    expect((await shop.placeOrder({ userId: 'u-none', items: [{ id: 'sku-dock', quantity: 99 }] })).status).toBe(409)
    expect(await shop.count('order', 'select * from outbox')).toBe(2)
  })

  test('the notification and the status change are one transaction: when the outbox write fails, the status stays', async () => {
    const shop = await inProcessShop()
    await shop.databases.order.execute(
      "create trigger outbox_refuses before insert on outbox begin select raise(abort, 'outbox is full'); end",
    )
    const response = await shop.placeOrder({ userId: 'u-atomic', items: [mouse] })
    // The order service's 500 reaches the user through the gateway as 503 upstream_unavailable.
    expect(response.status).toBe(503)
    // Charged, so never cancelled; not paid either, since that write failed: recovery completes it.
    expect(await shop.count('order', "select * from orders where user_id = 'u-atomic' and status = 'completing'")).toBe(
      1,
    )
    expect(await shop.count('order', 'select * from outbox')).toBe(0)

    await shop.databases.order.execute('drop trigger outbox_refuses')
    await shop.databases.order.execute('update orders set updated_at = 0')
    await shop.runTask('order recovery')
    const rows = await shop.databases.order.execute(
      'select o.status, x.kind from outbox x join orders o on o.id = x.order_id',
    )
    expect(rows.rows.map((row) => [row.status, row.kind])).toEqual([['paid', 'order.paid']])
  })

  test('delivery is at least once and idempotent: a failed attempt is retried with the same key, then marked delivered', async () => {
    const receiver = webhook(1)
    try {
      const shop = await inProcessShop({ env: { NOTIFY_WEBHOOK_URL: receiver.url } })
      const response = await shop.placeOrder({ userId: 'u-hook', items: [mouse] })
      const order = await response.json()
      const orderTrace = response.headers.get('x-trace-id')!

      await shop.runTask('outbox delivery')
      expect(
        await shop.count(
          'order',
          'select * from outbox where delivered_at is null and attempts = 1 and last_error = ?',
          ['webhook answered 500'],
        ),
      ).toBe(1)
      // The failed one waits (`retryDelayMs(1)` after a first failure) rather than being sent again at once.
      await shop.runTask('outbox delivery')
      expect(receiver.received).toHaveLength(1)
      // Once that wait is over it is sent again, and only once. The task reads the clock (`deliver()` defaults
      // `now` to the current time), so the test moves the clock on instead of waiting for it.
      setSystemTime(new Date(Date.now() + retryDelayMs(1)))
      await shop.runTask('outbox delivery')
      await shop.runTask('outbox delivery')
      setSystemTime()

      expect(receiver.received).toHaveLength(2)
      const [first, second] = receiver.received
      expect(second!.idempotencyKey).toBe(first!.idempotencyKey)
      expect(second!.body).toEqual(first!.body)
      expect(second!.body).toMatchObject({ id: first!.idempotencyKey, kind: 'order.paid', orderId: order.id, order })
      expect(await shop.count('order', 'select * from outbox where delivered_at is not null and attempts = 2')).toBe(1)

      const deliveries = (await shop.spans()).filter((span) => span.name === 'outbox.deliver')
      expect(deliveries.map((span) => span.status.code)).toEqual([STATUS.ERROR, STATUS.UNSET])
      const paidSpan = (await shop.spans()).find(
        (span) => span.name === 'complete_order' && span.traceId === orderTrace,
      )!
      for (const delivery of deliveries) {
        expect(delivery.parentSpanId).toBeUndefined()
        expect(delivery.traceId).not.toBe(orderTrace)
        expect(delivery.links).toEqual([{ traceId: orderTrace, spanId: paidSpan.spanId }])
        expect(delivery.attributes).toMatchObject({ 'notification.kind': 'order.paid', 'order.id': order.id })
      }
      // The webhook call is a CLIENT span of the delivery's trace, whose context went out in traceparent.
      expect(second!.traceparent).toContain(deliveries[1]!.traceId)
    } finally {
      setSystemTime()
      receiver.stop()
    }
  })
})
