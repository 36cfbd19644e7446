import type { Span, Tracer } from '@opentelemetry/api'
import { and, eq, inArray } from 'drizzle-orm'
import type { LibSQLDatabase } from 'drizzle-orm/libsql'
import { timeLeft } from '../../shared/deadline.ts'
import { AppError } from '../../shared/errors.ts'
import type { Faults } from '../../shared/faults.ts'
import { inSpan } from '../../shared/telemetry/span.ts'
import { sleep } from '../../shared/time.ts'
import { toAmount, toCents } from '../../shared/types.ts'
import type { Payment } from './contract.ts'
import { PaymentDeclined, type PaymentProvider } from './provider.ts'
import type * as schema from './schema.ts'
import { type PaymentStatus, payments } from './schema.ts'

export type PaymentDb = LibSQLDatabase<typeof schema>

/** How hard to try the provider: 3 attempts, 1 s each, 100 ms apart, within 3 s. */
export interface RetryPolicy {
  maxAttempts: number
  attemptTimeoutMs: number
  backoffMs: number
  deadlineMs: number
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 3,
  attemptTimeoutMs: 1000,
  backoffMs: 100,
  deadlineMs: 3000,
}

export interface PaymentDeps {
  db: PaymentDb
  provider: PaymentProvider
  tracer: Tracer
  /** The fault asked of `payment` shows on `payment.create`; the provider obeys it. */
  faults: Faults
  policy: RetryPolicy
}

/** Statuses a charge may still leave: an attempt's outcome is recorded only from these. */
const CHARGEABLE: PaymentStatus[] = ['pending', 'failed']

/**
 * Payments, one per order. Every change of status is one conditional write from the statuses it names, so a charge
 * and a void of the same payment never both win: a charge that succeeds after its payment was voided is refunded
 * at once, and a payment is `succeeded` only if its order can still be completed.
 */
export class Payments {
  constructor(private readonly deps: PaymentDeps) {}

  /**
   * Charges the order's amount once. A payment that already succeeded is returned as it is, one that was declined
   * is declined again, so a retried or replayed request never charges twice; a voided one is `409 payment_voided`.
   */
  create(orderId: string, amount: number): Promise<Payment> {
    return inSpan(this.deps.tracer, 'payment.create', { attributes: { 'order.id': orderId, amount } }, async (span) => {
      const fault = this.deps.faults.of('payment')
      if (fault) span.setAttribute('fault.injected', fault.value)
      let payment = await this.recordOf(orderId, amount)
      span.setAttribute('payment.id', payment.id)
      if (CHARGEABLE.includes(payment.status)) payment = await this.charge(payment, span)
      span.setAttribute('payment.status', payment.status)
      if (payment.status === 'declined') {
        throw new AppError(402, 'payment_declined', 'the payment was declined', { paymentId: payment.id })
      }
      if (payment.status !== 'succeeded') {
        throw new AppError(409, 'payment_voided', `the payment of order ${orderId} was voided`, {
          paymentId: payment.id,
        })
      }
      return payment
    })
  }

  /**
   * The fence an order puts up before it gives up on its payment: a payment not settled yet becomes `voided` (one is
   * created voided if the charge has not arrived), so no charge of it can succeed from now on. Answers the payment
   * as it stands: `succeeded` means the charge won the race and the order should be completed instead.
   */
  void(orderId: string): Promise<Payment> {
    return inSpan(this.deps.tracer, 'payment.void', { attributes: { 'order.id': orderId } }, async (span) => {
      const { db } = this.deps
      const now = new Date()
      await db.batch([
        db
          .insert(payments)
          .values({
            id: crypto.randomUUID(),
            orderId,
            amountCents: 0,
            status: 'voided',
            createdAt: now,
            updatedAt: now,
          })
          .onConflictDoNothing({ target: payments.orderId }),
        db
          .update(payments)
          .set({ status: 'voided', updatedAt: now })
          .where(and(eq(payments.orderId, orderId), inArray(payments.status, CHARGEABLE))),
      ])
      const payment = (await this.byOrder(orderId))!
      span.setAttributes({ 'payment.id': payment.id, 'payment.status': payment.status })
      return payment
    })
  }

  /** Gives back the order's charge, if it succeeded (an order that could not be completed after all). */
  refund(orderId: string): Promise<Payment | undefined> {
    return inSpan(this.deps.tracer, 'payment.refund', { attributes: { 'order.id': orderId } }, async (span) => {
      const [row] = await this.deps.db.select().from(payments).where(eq(payments.orderId, orderId))
      if (row?.status === 'succeeded') await this.giveBack(row.id, row.providerReference!, 'succeeded', span)
      return this.byOrder(orderId)
    })
  }

  async get(id: string): Promise<Payment | undefined> {
    const [row] = await this.deps.db.select().from(payments).where(eq(payments.id, id))
    return row && toPayment(row)
  }

  async byOrder(orderId: string): Promise<Payment | undefined> {
    const [row] = await this.deps.db.select().from(payments).where(eq(payments.orderId, orderId))
    return row && toPayment(row)
  }

  /** The payment row of the order, created `pending` if there is none yet (the unique order id settles races). */
  private async recordOf(orderId: string, amount: number): Promise<Payment> {
    const now = new Date()
    await this.deps.db
      .insert(payments)
      .values({
        id: crypto.randomUUID(),
        orderId,
        amountCents: toCents(amount),
        status: 'pending',
        createdAt: now,
        updatedAt: now,
      })
      .onConflictDoNothing({ target: payments.orderId })
    return (await this.byOrder(orderId))!
  }

  /**
   * Calls the provider with a timeout per attempt and an overall deadline; each retry is a `retry_attempt` event. A
   * payment voided meanwhile is not tried again.
   */
  private async charge(payment: Payment, span: Span): Promise<Payment> {
    const { provider, policy } = this.deps
    // The policy's deadline, or the request's if that comes first.
    const deadline = AbortSignal.timeout(Math.max(0, Math.min(policy.deadlineMs, timeLeft() ?? Infinity)))
    for (let attempt = 1; ; attempt++) {
      try {
        const reference = await provider.charge(
          { paymentId: payment.id, amountCents: toCents(payment.amount), attempt },
          AbortSignal.any([deadline, AbortSignal.timeout(policy.attemptTimeoutMs)]),
        )
        return await this.settle(
          payment,
          { status: 'succeeded', attempts: attempt, providerReference: reference },
          span,
        )
      } catch (error) {
        if (error instanceof PaymentDeclined) {
          return this.settle(payment, { status: 'declined', attempts: attempt, failureReason: error.message }, span)
        }
        if (error instanceof AppError) throw error
        const message = error instanceof Error ? error.message : String(error)
        const last = attempt >= policy.maxAttempts || deadline.aborted
        const settled = await this.settle(
          payment,
          { status: 'failed', attempts: attempt, failureReason: message },
          span,
        )
        if (settled.status !== 'failed') return settled
        if (last) {
          throw new AppError(504, 'payment_timeout', `the payment provider did not answer after ${attempt} attempts`, {
            paymentId: payment.id,
          })
        }
        span.addEvent('retry_attempt', { attempt: attempt + 1, 'error.message': message })
        await sleep(policy.backoffMs)
      }
    }
  }

  /**
   * Records an attempt's outcome, only while the payment is still chargeable. When another writer settled it first
   * (a void, or a concurrent charge) its outcome stands; a charge that went through after a void is refunded.
   */
  private async settle(payment: Payment, fields: Partial<typeof payments.$inferInsert>, span: Span): Promise<Payment> {
    const [row] = await this.deps.db
      .update(payments)
      .set({ ...fields, updatedAt: new Date() })
      .where(and(eq(payments.id, payment.id), inArray(payments.status, CHARGEABLE)))
      .returning()
    if (row) return toPayment(row)
    const current = (await this.get(payment.id))!
    if (fields.status === 'succeeded' && current.status === 'voided') {
      return this.giveBack(payment.id, fields.providerReference!, 'voided', span, fields.attempts)
    }
    return current
  }

  /** Refunds a charge and marks the payment `refunded` (from `from`), with a `payment.refunded` event saying why. */
  private async giveBack(
    id: string,
    reference: string,
    from: PaymentStatus,
    span: Span,
    attempts?: number,
  ): Promise<Payment> {
    await this.deps.provider.refund(reference)
    const [row] = await this.deps.db
      .update(payments)
      .set({ status: 'refunded', providerReference: reference, attempts, updatedAt: new Date() })
      .where(and(eq(payments.id, id), eq(payments.status, from)))
      .returning()
    span.addEvent('payment.refunded', {
      'payment.id': id,
      reason: from === 'voided' ? 'charged after the payment was voided' : 'the order could not be completed',
    })
    return row ? toPayment(row) : (await this.get(id))!
  }
}

function toPayment(row: typeof payments.$inferSelect): Payment {
  return { id: row.id, orderId: row.orderId, amount: toAmount(row.amountCents), status: row.status }
}
