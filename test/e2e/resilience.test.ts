import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { auditShop, stockOf } from '../support/audit.ts'
import { rows, waitUntil } from '../support/environment.ts'
import { STATUS } from '../support/otlp-json.ts'
import { startOtlpReceiver } from '../support/otlp-receiver.ts'
import { startProcesses } from '../support/processes.ts'

// These tests start real processes and wait for their traces; the 5 s default is too short.
setDefaultTimeout(60_000)

describe('faults, deadlines and recovery (real processes on Bun)', () => {
  const receiver = startOtlpReceiver()
  let shop: Awaited<ReturnType<typeof startProcesses>>

  let initialStock: Record<string, number>

  beforeAll(async () => {
    shop = await startProcesses({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      REQUEST_DEADLINE_MS: '1500',
      PAYMENT_ATTEMPT_TIMEOUT_MS: '400',
      PAYMENT_DEADLINE_MS: '5000',
      // Longer than a request's deadline, so recovery only takes orders no request is working on any more.
      ORDER_STALE_AFTER_MS: '2000',
      ORDER_RECOVERY_INTERVAL_MS: '200',
    })
    initialStock = await stockOf(shop.database('inventory'))
  })
  afterAll(async () => {
    await shop?.stop()
    receiver.stop()
  })

  test('a hung provider is a 504 payment_timeout within the deadline, order cancelled, stock released', async () => {
    const before = (
      await rows(shop.database('inventory'), "select available from products where id = 'sku-webcam'")
    )[0]!.available
    const started = Date.now()
    const response = await shop.placeOrder(
      { userId: 'u-hung', items: [{ id: 'sku-webcam', quantity: 1 }] },
      { baggage: 'fault.payment=timeout' },
    )
    const elapsed = Date.now() - started
    expect(response.status).toBe(504)
    expect((await response.json()).error.code).toBe('payment_timeout')
    // The gateway's deadline (1.5 s), not the payment policy's 5 s, bounds the answer.
    expect(elapsed).toBeLessThan(1500 + 1000)
    const [order] = await rows(
      shop.database('order'),
      "select status, failure_code from orders where user_id = 'u-hung'",
    )
    expect(order).toMatchObject({ status: 'cancelled', failure_code: 'payment_timeout' })
    expect(
      (await rows(shop.database('inventory'), "select available from products where id = 'sku-webcam'"))[0]!.available,
    ).toBe(before)
    expect(await rows(shop.database('inventory'), "select * from reservations where status = 'reserved'")).toEqual([])

    const trace = await receiver.trace(
      response.headers.get('x-trace-id')!,
      (spans) =>
        spans.some((span) => span.name === 'compensate_order') && spans.some((span) => span.name === 'payment.create'),
    )
    const payment = trace.find((span) => span.name === 'payment.create')!
    expect(payment.attributes['fault.injected']).toBe('timeout')
    expect(
      payment.events.filter((event) => event.name === 'retry_attempt').map((event) => event.attributes.attempt),
    ).toEqual([2, 3])
    expect(trace.find((span) => span.name === 'create_payment')!.status.code).toBe(STATUS.ERROR)
    expect(trace.find((span) => span.name === 'compensate_order')!.status.code).toBe(STATUS.UNSET)
  })

  test('a transient provider timeout is absorbed by a retry, recorded as a retry_attempt event', async () => {
    const response = await shop.placeOrder(
      { userId: 'u-flaky', items: [{ id: 'sku-cable', quantity: 1 }] },
      { baggage: 'fault.payment=timeout:1' },
    )
    expect(response.status).toBe(201)
    expect((await response.json()).status).toBe('paid')
    const trace = await receiver.trace(response.headers.get('x-trace-id')!, (spans) =>
      spans.some((span) => span.name === 'payment.create'),
    )
    const [retry, ...more] = trace
      .find((span) => span.name === 'payment.create')!
      .events.filter((event) => event.name === 'retry_attempt')
    expect(more).toEqual([])
    expect(retry!.attributes.attempt).toBe(2)
    expect(String(retry!.attributes['error.message'])).toMatch(/time/i)
    expect(
      await rows(
        shop.database('payment'),
        "select attempts, status from payments p where status = 'succeeded' and attempts = 2",
      ),
    ).toHaveLength(1)
  })

  test('a slow inventory shows the fault on its span', async () => {
    const response = await shop.placeOrder(
      { userId: 'u-slow', items: [{ id: 'sku-cable', quantity: 1 }] },
      { baggage: 'fault.inventory=slow:100' },
    )
    expect(response.status).toBe(201)
    const trace = await receiver.trace(response.headers.get('x-trace-id')!, (spans) =>
      spans.some((span) => span.name === 'inventory.reserve'),
    )
    expect(trace.find((span) => span.name === 'inventory.check_availability')!.attributes['fault.injected']).toBe(
      'slow:100',
    )
  })

  test('a client that disconnects mid-request does not leave half an order', async () => {
    const abort = new AbortController()
    const pending = shop.placeOrder(
      { userId: 'u-gone', items: [{ id: 'sku-desk-mat', quantity: 2 }] },
      { baggage: 'fault.payment=slow:200' },
      abort.signal,
    )
    // Gone while the payment is under way: the order is recorded and its stock reserved.
    const reserved = async () =>
      (await rows(shop.database('order'), "select status from orders where user_id = 'u-gone'"))[0]?.status ===
      'reserved'
    expect(await waitUntil(reserved)).toBe(true)
    abort.abort()
    await expect(pending).rejects.toThrow()
    const settled = await waitUntil(
      async () =>
        (await rows(shop.database('order'), "select status from orders where user_id = 'u-gone'"))[0]?.status ===
        'paid',
    )
    expect(settled).toBe(true)
    expect(
      await rows(shop.database('inventory'), "select r.status from reservations r where status = 'reserved'"),
    ).toEqual([])
  })

  // The error a cancelled order answers replays with: an interrupted order's, or the one that started an interrupted
  // compensation.
  for (const [step, extraFault, ending, failure] of [
    ['after_record', '', 'cancelled', 'upstream_unavailable'],
    ['after_reserve', '', 'cancelled', 'upstream_unavailable'],
    ['after_payment', '', 'paid', null],
    ['before_compensation', ',fault.payment=decline', 'cancelled', 'payment_declined'],
  ] as const) {
    test(`an order service killed ${step.replace('_', ' ')} is resolved at restart: ${ending}`, async () => {
      const stock = async () =>
        Number(
          (await rows(shop.database('inventory'), "select available from products where id = 'sku-headset'"))[0]!
            .available,
        )
      const before = await stock()
      const userId = `u-crash-${step}`
      const response = await shop.placeOrder(
        { userId, items: [{ id: 'sku-headset', quantity: 2 }] },
        { baggage: `fault.order=crash:${step}${extraFault}` },
      )
      expect(response.status).toBe(503)
      expect((await response.json()).error.code).toBe('upstream_unavailable')
      expect(await shop.process('order').exited).not.toBe(0)
      const [interrupted] = await rows(shop.database('order'), 'select id, status from orders where user_id = ?', [
        userId,
      ])
      expect(['pending', 'reserved', 'completing', 'cancelling']).toContain(String(interrupted!.status))

      await shop.start('order')
      const orderId = String(interrupted!.id)
      expect(
        await waitUntil(
          async () =>
            (await rows(shop.database('order'), 'select status from orders where id = ?', [orderId]))[0]!.status ===
            ending,
        ),
      ).toBe(true)
      const reservations = await rows(
        shop.database('inventory'),
        'select status from reservations where order_id = ?',
        [orderId],
      )
      const [payment] = await rows(shop.database('payment'), 'select status from payments where order_id = ?', [
        orderId,
      ])
      const [settled] = await rows(shop.database('order'), 'select failure_code from orders where id = ?', [orderId])
      expect(settled!.failure_code).toBe(failure)
      if (ending === 'paid') {
        expect(reservations.map((row) => row.status)).toEqual(['committed'])
        expect(payment!.status).toBe('succeeded')
        expect(await stock()).toBe(before - 2)
      } else {
        expect(reservations.every((row) => row.status === 'released')).toBe(true)
        expect(payment?.status ?? 'none').not.toBe('succeeded')
        expect(await stock()).toBe(before)
      }
    })
  }

  test('after every fault above, the three databases agree: no charge without a paid order, no stock lost', async () => {
    const settled = async () =>
      (await rows(shop.database('order'), "select * from orders where status not in ('paid', 'cancelled')")).length ===
      0
    expect(await waitUntil(settled)).toBe(true)
    const databases = {
      order: shop.database('order'),
      inventory: shop.database('inventory'),
      payment: shop.database('payment'),
    }
    expect(await auditShop(databases, initialStock)).toEqual([])
  })
})
