import { type Span, type Tracer, trace } from '@opentelemetry/api'
import { and, eq, gt, inArray, isNull, sql } from 'drizzle-orm'
import type { LibSQLDatabase } from 'drizzle-orm/libsql'
import { timeLeft } from '../../shared/deadline.ts'
import { AppError } from '../../shared/errors.ts'
import type { Faults } from '../../shared/faults.ts'
import { bound } from '../../shared/prepared.ts'
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

/** How an attempt ended: the provider's reference of a charge, or why it was not made. */
interface AttemptOutcome {
  status: 'succeeded' | 'declined' | 'failed'
  providerReference?: string
  failureReason?: string
}

/** Statuses an attempt may start from. */
const CLAIMABLE: PaymentStatus[] = ['pending', 'failed']
/** Statuses a void fences: no money is taken yet, as far as this service knows. */
const VOIDABLE: PaymentStatus[] = ['pending', 'charging', 'failed']
/** How often a request whose payment another request is charging looks for the outcome. */
const OUTCOME_POLL_MS = 25

/**
 * Payments, one per order. Every change of status is one conditional write from the statuses it names, so a charge
 * and a void never both win: an attempt starts only by claiming the payment (`charging`), a void stops any attempt
 * not yet started, and a charge that succeeds after its payment was voided is refunded. A voided payment that had
 * attempts is reconciled with the provider (by the payment's id, the charge's idempotency key), so an attempt whose
 * outcome was lost (a timeout, a crash) never leaves money taken behind a cancelled order.
 */
export class Payments {
  private readonly statements: ReturnType<typeof preparedStatements>

  constructor(private readonly deps: PaymentDeps) {
    this.statements = preparedStatements(deps.db)
  }

  /**
   * Charges the order's amount once. A payment that already succeeded is returned as it is, one that was declined
   * is declined again, so a retried or replayed request never charges twice; a voided one is `409 payment_voided`.
   */
  create(orderId: string, amount: number): Promise<Payment> {
    return inSpan(this.deps.tracer, 'payment.create', { attributes: { 'order.id': orderId, amount } }, async (span) => {
      const fault = this.deps.faults.of('payment')
      if (fault) span.setAttribute('fault.injected', fault.value)
      const recorded = await this.recordOf(orderId, amount)
      let payment = recorded.payment
      span.setAttribute('payment.id', payment.id)
      if (recorded.claimed || CLAIMABLE.includes(payment.status)) payment = await this.charge(payment, span, recorded)
      else if (payment.status === 'charging') payment = await this.outcomeOf(payment)
      span.setAttribute('payment.status', payment.status)
      if (payment.status === 'succeeded') return payment
      if (payment.status === 'declined') {
        throw new AppError(402, 'payment_declined', 'the payment was declined', { paymentId: payment.id })
      }
      if (payment.status === 'voided' || payment.status === 'refunded') {
        throw new AppError(409, 'payment_voided', `the payment of order ${orderId} was voided`, {
          paymentId: payment.id,
        })
      }
      throw new AppError(504, 'payment_timeout', 'the payment provider did not answer in time', {
        paymentId: payment.id,
      })
    })
  }

  /**
   * The fence an order puts up before it gives up on its payment: a payment not settled yet becomes `voided` (one is
   * created voided if the charge has not arrived), so no attempt of it can start or succeed from now on; one that had
   * attempts is reconciled with the provider at once. Answers the payment as it stands: `succeeded` means the charge
   * won the race and the order should be completed instead.
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
          .where(and(eq(payments.orderId, orderId), inArray(payments.status, VOIDABLE))),
      ])
      const [row] = await db.select().from(payments).where(eq(payments.orderId, orderId))
      // The order's answer does not wait on the provider's: a reconciliation that fails is tried again later.
      if (row!.status === 'voided' && row!.attempts > 0) await this.reconcile(row!).catch(() => undefined)
      const payment = (await this.byOrder(orderId))!
      span.setAttributes({ 'payment.id': payment.id, 'payment.status': payment.status })
      return payment
    })
  }

  /** Gives back the order's charge, if it succeeded (an order that could not be completed after all). */
  refund(orderId: string): Promise<Payment | undefined> {
    return inSpan(this.deps.tracer, 'payment.refund', { attributes: { 'order.id': orderId } }, async () => {
      const [row] = await this.deps.db.select().from(payments).where(eq(payments.orderId, orderId))
      if (row?.status === 'succeeded') {
        await this.giveBack(row.id, row.providerReference!, 'succeeded', 'the order could not be completed')
      }
      return this.byOrder(orderId)
    })
  }

  /**
   * Voided payments that had attempts and are not reconciled yet, asked of the provider again: the background task
   * that makes sure an unknown outcome (a lost answer, a crash, a refund that failed) ends with the money back.
   */
  async reconcileVoided(): Promise<number> {
    const rows = await this.deps.db
      .select()
      .from(payments)
      .where(and(eq(payments.status, 'voided'), gt(payments.attempts, 0), isNull(payments.reconciledAt)))
    for (const row of rows) {
      await inSpan(this.deps.tracer, 'payment.reconcile', { root: true, attributes: { 'payment.id': row.id } }, () =>
        this.reconcile(row),
      ).catch(() => undefined)
    }
    return rows.length
  }

  async get(id: string): Promise<Payment | undefined> {
    const [row] = await this.deps.db.select().from(payments).where(eq(payments.id, id))
    return row && toPayment(row)
  }

  async byOrder(orderId: string): Promise<Payment | undefined> {
    const [row] = await this.deps.db.select().from(payments).where(eq(payments.orderId, orderId))
    return row && toPayment(row)
  }

  /**
   * The payment row of the order (the unique order id settles races). One there is not yet is recorded claimed for
   * its first attempt (`charging`, attempt 1): the same as recording it `pending` and claiming it, one write less.
   */
  private async recordOf(orderId: string, amount: number): Promise<{ payment: Payment; claimed: boolean }> {
    const id = crypto.randomUUID()
    const amountCents = toCents(amount)
    const created = await this.statements.record.run({ id, orderId, amountCents, now: Date.now() })
    if (created.rowsAffected > 0) {
      return { payment: { id, orderId, amount: toAmount(amountCents), status: 'charging' }, claimed: true }
    }
    // The order has its payment already: a repeated request, or a void that came first.
    return { payment: (await this.byOrder(orderId))!, claimed: false }
  }

  /**
   * Calls the provider with a timeout per attempt and an overall deadline; each retry is a `retry_attempt` event.
   * Every attempt first claims the payment (`charging`): one voided meanwhile, even during the backoff, is not tried.
   * A payment just recorded (`claimed`) comes with its first attempt claimed.
   */
  private async charge(payment: Payment, span: Span, { claimed }: { claimed: boolean }): Promise<Payment> {
    const { provider, policy } = this.deps
    // The policy's deadline, or the request's if that comes first.
    const deadline = AbortSignal.timeout(Math.max(0, Math.min(policy.deadlineMs, timeLeft() ?? Infinity)))
    for (let attempt = 1; ; attempt++) {
      const ours = (attempt === 1 && claimed) || (await this.claim(payment.id, attempt))
      if (!ours) return (await this.get(payment.id))!
      let reference: string
      try {
        reference = await provider.charge(
          { paymentId: payment.id, amountCents: toCents(payment.amount), attempt },
          AbortSignal.any([deadline, AbortSignal.timeout(policy.attemptTimeoutMs)]),
        )
      } catch (error) {
        if (error instanceof PaymentDeclined) {
          return this.finish(payment, { status: 'declined', failureReason: error.message }, span)
        }
        const message = error instanceof Error ? error.message : String(error)
        const settled = await this.finish(payment, { status: 'failed', failureReason: message }, span)
        if (settled.status !== 'failed') return settled
        if (attempt >= policy.maxAttempts || deadline.aborted) {
          throw new AppError(504, 'payment_timeout', `the payment provider did not answer after ${attempt} attempts`, {
            paymentId: payment.id,
          })
        }
        span.addEvent('retry_attempt', { attempt: attempt + 1, 'error.message': message })
        await sleep(policy.backoffMs)
        continue
      }
      return this.finish(payment, { status: 'succeeded', providerReference: reference }, span)
    }
  }

  /** Starts attempt `attempt`: only from a status an attempt may start from, so a void always wins before it. */
  private async claim(id: string, attempt: number): Promise<boolean> {
    const claimed = await this.deps.db
      .update(payments)
      .set({ status: 'charging', attempts: attempt, updatedAt: new Date() })
      .where(and(eq(payments.id, id), inArray(payments.status, CLAIMABLE)))
      .run()
    return claimed.rowsAffected > 0
  }

  /**
   * Records the outcome of the attempt this request claimed. When a void came first its outcome stands, and a charge
   * that went through meanwhile is given back (`reconcile` finds it at the provider).
   */
  private async finish(payment: Payment, fields: AttemptOutcome, span: Span): Promise<Payment> {
    const finished = await this.statements.finish.run({
      id: payment.id,
      status: fields.status,
      providerReference: fields.providerReference ?? null,
      failureReason: fields.failureReason ?? null,
      updatedAt: Date.now(),
    })
    if (finished.rowsAffected > 0) return { ...payment, status: fields.status }
    const [current] = await this.deps.db.select().from(payments).where(eq(payments.id, payment.id))
    if (fields.status === 'succeeded' && current!.status === 'voided') {
      span.addEvent('payment.charged_after_void', { 'payment.id': payment.id })
      // A refund that fails now is left to the background reconciliation.
      await this.reconcile(current!).catch(() => undefined)
      return (await this.get(payment.id))!
    }
    return toPayment(current!)
  }

  /**
   * Asks the provider whether the voided payment was charged after all, and refunds it if so. Found not charged, it
   * counts as reconciled only once its last attempt is over (an attempt still at the provider could yet charge it).
   */
  private async reconcile(row: typeof payments.$inferSelect): Promise<void> {
    const { provider, policy, db } = this.deps
    const reference = await provider.lookup(row.id, AbortSignal.timeout(policy.attemptTimeoutMs))
    if (reference) {
      await this.giveBack(row.id, reference, 'voided', 'charged after the payment was voided')
      return
    }
    if (Date.now() - row.updatedAt.getTime() < policy.attemptTimeoutMs) return
    await db
      .update(payments)
      .set({ reconciledAt: new Date() })
      .where(and(eq(payments.id, row.id), eq(payments.status, 'voided')))
  }

  /** Refunds a charge and marks the payment `refunded` (from `from`), with a `payment.refunded` event saying why. */
  private async giveBack(id: string, reference: string, from: PaymentStatus, reason: string): Promise<void> {
    await this.deps.provider.refund(reference, AbortSignal.timeout(this.deps.policy.attemptTimeoutMs))
    const now = new Date()
    await this.deps.db
      .update(payments)
      .set({ status: 'refunded', providerReference: reference, reconciledAt: now, updatedAt: now })
      .where(and(eq(payments.id, id), eq(payments.status, from)))
    trace.getActiveSpan()?.addEvent('payment.refunded', { 'payment.id': id, reason })
  }

  /** Waits for the outcome of an attempt another request is making, within the deadline. */
  private async outcomeOf(payment: Payment): Promise<Payment> {
    const until = Date.now() + Math.min(timeLeft() ?? Infinity, this.deps.policy.deadlineMs)
    let current = payment
    while (current.status === 'charging' && until - Date.now() > OUTCOME_POLL_MS) {
      await sleep(OUTCOME_POLL_MS)
      current = (await this.get(payment.id))!
    }
    return current
  }
}

/** The statements every payment runs, prepared once (see shared/prepared.ts). */
function preparedStatements(db: PaymentDb) {
  const param = sql.placeholder
  return {
    /** A new payment, recorded claimed for its first attempt; nothing if the order has one. */
    record: db
      .insert(payments)
      .values({
        id: param('id'),
        orderId: param('orderId'),
        amountCents: param('amountCents'),
        status: 'charging',
        attempts: 1,
        createdAt: bound<number>('now'),
        updatedAt: bound<number>('now'),
      })
      .onConflictDoNothing({ target: payments.orderId })
      .prepare(),
    /** The outcome of the attempt in progress. */
    finish: db
      .update(payments)
      .set({
        status: bound<PaymentStatus>('status'),
        providerReference: bound<string | null>('providerReference'),
        // A success keeps the reason an earlier attempt failed for.
        failureReason: sql`coalesce(${param('failureReason')}, ${payments.failureReason})`,
        updatedAt: bound<number>('updatedAt'),
      })
      .where(and(eq(payments.id, param('id')), eq(payments.status, 'charging')))
      .prepare(),
  }
}

function toPayment(row: typeof payments.$inferSelect): Payment {
  return { id: row.id, orderId: row.orderId, amount: toAmount(row.amountCents), status: row.status }
}
