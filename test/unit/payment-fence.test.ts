import { describe, expect, test } from 'bun:test'
import { SimulatedProvider } from '../../services/payment/provider.ts'
import { createPaymentService } from '../../services/payment/service.ts'
import type { Fetch } from '../../shared/telemetry/fetch.ts'
import { auditShop, stockOf } from '../support/audit.ts'
import { deferred } from '../support/barrier.ts'
import { waitUntil } from '../support/environment.ts'
import { type InProcessShop, inProcessShop } from '../support/in-process.ts'

const mouse = { id: 'sku-mouse', quantity: 2 }
const isCharge = (input: Request | string | URL, init?: RequestInit) =>
  new Request(input, init).url.endsWith('/payments')
const timedOut = () => new DOMException('the request deadline has passed', 'TimeoutError')

/**
 * The payment service charging through a provider the test holds: `charging` resolves when a charge reached the
 * provider, which answers only once `release` is called — and then succeeds even if the caller gave up meanwhile,
 * as a provider that ignores timeouts does. `behave` changes what an attempt or a refund does after the charge. The
 * provider keeps a ledger of what it charged and refunded, the money as the customer sees it.
 */
function heldProvider(behave: { afterCharge?: (attempt: number) => void; refundFails?: () => boolean } = {}) {
  const charging = deferred()
  const release = deferred()
  const ledger = { charged: [] as string[], refunded: [] as string[] }
  const service = createPaymentService((_, faults) => {
    const simulated = new SimulatedProvider({ latencyMs: 1, faults })
    return {
      async charge(request) {
        charging.resolve()
        await release.promise
        const reference = await simulated.charge(request, new AbortController().signal)
        if (!ledger.charged.includes(reference)) ledger.charged.push(reference)
        behave.afterCharge?.(request.attempt)
        return reference
      },
      lookup: (paymentId, signal) => simulated.lookup(paymentId, signal),
      async refund(reference, signal) {
        if (behave.refundFails?.()) throw new TypeError('provider unreachable')
        await simulated.refund(reference, signal)
        ledger.refunded.push(reference)
      },
    }
  })
  return {
    service,
    ledger,
    charging: charging.promise,
    release: () => release.resolve(),
    charges: () => ledger.charged.length,
  }
}

/**
 * The order's deadline passing while the provider is charging: the order stops waiting (a TimeoutError), the charge
 * goes on; `charge()` is its answer, once the provider gives it.
 */
function gaveUpWhileCharging(provider: { charging: Promise<void> }) {
  let charge: Promise<Response> | undefined
  const interpose: (next: Fetch) => Fetch = (next) => async (input, init) => {
    if (!isCharge(input, init)) return next(input, init)
    charge = next(input, init)
    await provider.charging
    throw timedOut()
  }
  return { interpose, charge: () => charge }
}

/** What the customer was charged and not given back, by the provider's own ledger. */
const moneyHeld = (ledger: { charged: string[]; refunded: string[] }) =>
  ledger.charged.filter((reference) => !ledger.refunded.includes(reference))

async function paymentOf(shop: InProcessShop, userId: string) {
  const [order] = (
    await shop.databases.order.execute({ sql: 'select * from orders where user_id = ?', args: [userId] })
  ).rows
  const [payment] = (
    await shop.databases.payment.execute({ sql: 'select * from payments where order_id = ?', args: [order!.id] })
  ).rows
  return { order: order!, payment }
}

describe('no charge without a paid order: the fence between order and payment', () => {
  test('a charge the provider completes after the order gave up is refunded, and the order stays cancelled', async () => {
    const provider = heldProvider()
    const late = gaveUpWhileCharging(provider)
    const shop = await inProcessShop({
      services: { payment: provider.service },
      interpose: { payment: late.interpose },
    })
    const initial = await stockOf(shop.databases.inventory)
    const response = await shop.placeOrder({ userId: 'u-late', items: [mouse] })
    expect(response.status).toBe(504)
    expect((await response.json()).error.code).toBe('payment_timeout')
    // The order voided its payment before it released the stock and cancelled.
    expect((await paymentOf(shop, 'u-late')).payment).toMatchObject({ status: 'voided' })

    provider.release()
    const answer = await late.charge()!
    expect(answer.status).toBe(409)
    expect((await answer.json()).error.code).toBe('payment_voided')
    const { order, payment } = await paymentOf(shop, 'u-late')
    expect(order.status).toBe('cancelled')
    expect(payment).toMatchObject({ status: 'refunded', attempts: 1 })
    expect(String(payment!.provider_reference)).toStartWith('ch_')
    expect(await auditShop(shop.databases, initial)).toEqual([])

    const spans = await shop.spans()
    const charge = spans.find((span) => span.name === 'payment.create')!
    expect(charge.events.map((event) => event.name)).toContain('payment.refunded')
    const orderTrace = spans.filter((span) => span.traceId === response.headers.get('x-trace-id'))
    expect(orderTrace.map((span) => span.name)).toEqual(expect.arrayContaining(['void_payment', 'compensate_order']))
  })

  test('a charge that arrives after the void never reaches the provider', async () => {
    const provider = heldProvider()
    provider.release()
    let heldCharge: (() => Promise<Response>) | undefined
    const shop = await inProcessShop({
      services: { payment: provider.service },
      interpose: {
        // The charge is stuck on the way; the order gives up and voids before it arrives.
        payment: (next) => async (input, init) => {
          if (!isCharge(input, init)) return next(input, init)
          heldCharge = () => next(input, init)
          throw timedOut()
        },
      },
    })
    const response = await shop.placeOrder({ userId: 'u-stuck', items: [mouse] })
    expect(response.status).toBe(504)
    const arrived = await heldCharge!()
    expect(arrived.status).toBe(409)
    expect((await arrived.json()).error.code).toBe('payment_voided')
    expect(provider.charges()).toBe(0)
    expect((await paymentOf(shop, 'u-stuck')).payment).toMatchObject({ status: 'voided', attempts: 0 })
  })

  test('a charge whose answer is lost on every attempt is found at the provider and refunded when voided', async () => {
    const provider = heldProvider({
      afterCharge: () => {
        throw new TypeError('socket hang up')
      },
    })
    provider.release()
    const shop = await inProcessShop({ services: { payment: provider.service }, env: { PAYMENT_BACKOFF_MS: '1' } })
    const initial = await stockOf(shop.databases.inventory)
    const response = await shop.placeOrder({ userId: 'u-unknown', items: [mouse] })
    expect(response.status).toBe(504)
    const { order, payment } = await paymentOf(shop, 'u-unknown')
    expect(order.status).toBe('cancelled')
    expect(payment).toMatchObject({ status: 'refunded', attempts: 3 })
    expect(provider.ledger.charged).toHaveLength(1)
    expect(moneyHeld(provider.ledger)).toEqual([])
    expect(await auditShop(shop.databases, initial)).toEqual([])
  })

  test('a refund that fails is tried again by the reconciliation until the money is back', async () => {
    let refundDown = true
    const provider = heldProvider({ refundFails: () => refundDown })
    const late = gaveUpWhileCharging(provider)
    const shop = await inProcessShop({
      services: { payment: provider.service },
      interpose: { payment: late.interpose },
    })
    expect((await shop.placeOrder({ userId: 'u-refund', items: [mouse] })).status).toBe(504)
    provider.release()
    expect((await late.charge()!).status).toBe(409)
    // Charged after the void, and the refund failed: the payment stays voided, not reconciled, money still held.
    expect((await paymentOf(shop, 'u-refund')).payment).toMatchObject({ status: 'voided', reconciled_at: null })
    expect(moneyHeld(provider.ledger)).toHaveLength(1)

    await shop.runTask('payment reconciliation', 'payment')
    expect(moneyHeld(provider.ledger)).toHaveLength(1)
    refundDown = false
    await shop.runTask('payment reconciliation', 'payment')
    expect(moneyHeld(provider.ledger)).toEqual([])
    expect((await paymentOf(shop, 'u-refund')).payment).toMatchObject({ status: 'refunded' })
  })

  test('a payment voided while its attempt waits to be retried is not tried again', async () => {
    let attempts = 0
    const provider = heldProvider({
      afterCharge: (attempt) => {
        attempts = attempt
        // The first attempt's answer is lost; the order gives up during the pause before the next one.
        if (attempt === 1) throw new TypeError('socket hang up')
      },
    })
    provider.release()
    const shop = await inProcessShop({ services: { payment: provider.service }, env: { PAYMENT_BACKOFF_MS: '1500' } })
    const create = shop.internal(
      'payment',
      new Request('http://payment.internal/payments', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ orderId: 'o-backoff', amount: 10 }),
      }),
    )
    const failedOnce = async () =>
      (await shop.count('payment', "select * from payments where order_id = 'o-backoff' and status = 'failed'")) === 1
    expect(await waitUntil(failedOnce)).toBe(true)
    const voided = await shop.internal(
      'payment',
      new Request('http://payment.internal/orders/o-backoff/payment/void', { method: 'POST' }),
    )
    expect((await voided.json()).status).toBe('refunded')
    expect((await create).status).toBe(409)
    expect(attempts).toBe(1)
    expect(moneyHeld(provider.ledger)).toEqual([])
  })

  test('a charge that succeeded although its answer was lost completes the order: the void finds it', async () => {
    const shop = await inProcessShop({
      interpose: {
        payment: (next) => async (input, init) => {
          const answer = await next(input, init)
          if (isCharge(input, init)) throw new TypeError('connection reset')
          return answer
        },
      },
    })
    const initial = await stockOf(shop.databases.inventory)
    const response = await shop.placeOrder({ userId: 'u-lost', items: [mouse] })
    expect(response.status).toBe(201)
    expect(await response.json()).toMatchObject({ status: 'paid' })
    expect((await paymentOf(shop, 'u-lost')).payment).toMatchObject({ status: 'succeeded' })
    expect(await auditShop(shop.databases, initial)).toEqual([])
  })

  test('an order whose reservation was released behind its back is refunded and cancelled, never paid', async () => {
    const provider = heldProvider()
    const shop = await inProcessShop({ services: { payment: provider.service } })
    const initial = await stockOf(shop.databases.inventory)
    const pending = shop.placeOrder({ userId: 'u-released', items: [mouse] })
    await provider.charging
    const { order } = await paymentOf(shop, 'u-released')
    const release = new Request(`http://inventory.internal/reservations/${order.id}/release`, { method: 'POST' })
    expect((await shop.internal('inventory', release)).status).toBe(200)
    provider.release()
    const response = await pending
    expect(response.status).toBe(409)
    expect((await response.json()).error.code).toBe('reservation_closed')
    const settled = await paymentOf(shop, 'u-released')
    expect(settled.order).toMatchObject({ status: 'cancelled', failure_code: 'reservation_closed' })
    expect(settled.payment).toMatchObject({ status: 'refunded' })
    expect(await auditShop(shop.databases, initial)).toEqual([])
  })
})

describe('repeated requests', () => {
  test('a replay while the first request is still running is 409 request_in_progress, never a pending order', async () => {
    const held = deferred()
    const charging = deferred()
    const shop = await inProcessShop({
      env: { REQUEST_DEADLINE_MS: '1000' },
      interpose: {
        payment: (next) => async (input, init) => {
          if (isCharge(input, init)) {
            charging.resolve()
            await held.promise
          }
          return next(input, init)
        },
      },
    })
    const body = { userId: 'u-replay', items: [mouse] }
    const key = { 'Idempotency-Key': 'k-replay' }
    const first = shop.placeOrder(body, key)
    await charging.promise
    const replay = await shop.placeOrder(body, key)
    expect(replay.status).toBe(409)
    expect(await replay.json()).toMatchObject({ error: { code: 'request_in_progress' } })

    held.resolve()
    const paid = await (await first).json()
    expect(paid.status).toBe('paid')
    const again = await shop.placeOrder(body, key)
    expect(again.status).toBe(201)
    expect(await again.json()).toEqual(paid)
    expect(await shop.count('order', 'select * from orders')).toBe(1)
  })

  test('two requests with one key at the open-order limit: the second is a replay, not a refusal', async () => {
    const bothChecking = deferred()
    let checking = 0
    const shop = await inProcessShop({
      env: { ORDER_MAX_OPEN_ORDERS: '1' },
      interpose: {
        // Both requests pass the replay lookup and their pre-checks before either records its order.
        inventory: (next) => async (input, init) => {
          if (new Request(input, init).url.endsWith('/availability') && ++checking === 2) bothChecking.resolve()
          if (new Request(input, init).url.endsWith('/availability')) await bothChecking.promise
          return next(input, init)
        },
      },
    })
    const body = { userId: 'u-limit', items: [mouse], requestId: 'k-limit' }
    const answers = await Promise.all([shop.placeOrder(body), shop.placeOrder(body)])
    expect(answers.map((answer) => answer.status)).toEqual([201, 201])
    const [first, second] = await Promise.all(answers.map((answer) => answer.json()))
    expect(second).toEqual(first)
    expect(await shop.count('order', 'select * from orders')).toBe(1)
  })

  test('the same key with another body is 422 idempotency_key_reused and creates nothing', async () => {
    const shop = await inProcessShop()
    const key = { 'Idempotency-Key': 'k-reused' }
    expect((await shop.placeOrder({ userId: 'u-key', items: [mouse] }, key)).status).toBe(201)
    const other = await shop.placeOrder({ userId: 'u-key', items: [{ id: 'sku-cable', quantity: 1 }] }, key)
    expect(other.status).toBe(422)
    expect((await other.json()).error.code).toBe('idempotency_key_reused')
    expect(await shop.count('order', 'select * from orders')).toBe(1)
    expect(await shop.count('payment', 'select * from payments')).toBe(1)
  })
})
