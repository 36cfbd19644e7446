import type { Tracer } from '@opentelemetry/api'
import { and, eq, ne } from 'drizzle-orm'
import type { LibSQLDatabase } from 'drizzle-orm/libsql'
import { timeLeft } from '../../shared/deadline.ts'
import { AppError } from '../../shared/errors.ts'
import type { Fault } from '../../shared/faults.ts'
import { inSpan } from '../../shared/telemetry/span.ts'
import { sleep } from '../../shared/time.ts'
import { toAmount, toCents } from '../../shared/types.ts'
import { PaymentDeclined, type PaymentProvider } from './provider.ts'
import type * as schema from './schema.ts'
import { payments } from './schema.ts'

export type PaymentDb = LibSQLDatabase<typeof schema>

export interface Payment {
  id: string
  orderId: string
  amount: number
  status: schema.PaymentStatus
}

/** How hard to try the provider: the seed's 3 attempts, 100 ms apart, within 3 s. */
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

export class Payments {
  constructor(
    private readonly db: PaymentDb,
    private readonly provider: PaymentProvider,
    private readonly tracer: Tracer,
    private readonly policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  ) {}

  /**
   * Charges the order's amount once. A payment that already succeeded is returned as it is, one that was declined
   * is declined again, so a retried or replayed request never charges twice.
   */
  create(orderId: string, amount: number, fault?: Fault): Promise<Payment> {
    return inSpan(this.tracer, 'payment.create', { attributes: { 'order.id': orderId, amount } }, async (span) => {
      if (fault) span.setAttribute('fault.injected', fault.value)
      const payment = await this.recordOf(orderId, amount)
      span.setAttribute('payment.id', payment.id)
      if (payment.status === 'pending' || payment.status === 'failed') {
        payment.status = await this.charge(payment, fault, span)
      }
      span.setAttribute('payment.status', payment.status)
      if (payment.status === 'declined')
        throw new AppError(402, 'payment_declined', 'the payment was declined', { paymentId: payment.id })
      return payment
    })
  }

  async get(id: string): Promise<Payment | undefined> {
    const [row] = await this.db.select().from(payments).where(eq(payments.id, id))
    return row && toPayment(row)
  }

  async byOrder(orderId: string): Promise<Payment | undefined> {
    const [row] = await this.db.select().from(payments).where(eq(payments.orderId, orderId))
    return row && toPayment(row)
  }

  /** The payment row of the order, created `pending` if there is none yet (the unique order id settles races). */
  private async recordOf(orderId: string, amount: number): Promise<Payment> {
    const now = new Date()
    await this.db
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

  /** Calls the provider with a timeout per attempt and an overall deadline; each retry is a `retry_attempt` event. */
  private async charge(
    payment: Payment,
    fault: Fault | undefined,
    span: { addEvent(name: string, attributes: Record<string, string | number>): void },
  ) {
    // The policy's deadline, or the request's if that comes first.
    const deadline = AbortSignal.timeout(Math.max(0, Math.min(this.policy.deadlineMs, timeLeft() ?? Infinity)))
    let attempt = 0
    for (;;) {
      attempt++
      try {
        const reference = await this.provider.charge(
          { paymentId: payment.id, amountCents: toCents(payment.amount), attempt, fault },
          AbortSignal.any([deadline, AbortSignal.timeout(this.policy.attemptTimeoutMs)]),
        )
        await this.settle(payment.id, { status: 'succeeded', attempts: attempt, providerReference: reference })
        return 'succeeded' as const
      } catch (error) {
        if (error instanceof PaymentDeclined) {
          await this.settle(payment.id, { status: 'declined', attempts: attempt, failureReason: error.message })
          return 'declined' as const
        }
        const message = error instanceof Error ? error.message : String(error)
        if (attempt >= this.policy.maxAttempts || deadline.aborted) {
          await this.settle(payment.id, { status: 'failed', attempts: attempt, failureReason: message })
          throw new AppError(504, 'payment_timeout', `the payment provider did not answer after ${attempt} attempts`, {
            paymentId: payment.id,
          })
        }
        span.addEvent('retry_attempt', { attempt: attempt + 1, 'error.message': message })
        await sleep(this.policy.backoffMs)
      }
    }
  }

  /** Records an attempt's outcome; a payment that succeeded stays so, whatever a late or concurrent attempt says. */
  private settle(id: string, fields: Partial<typeof payments.$inferInsert>) {
    return this.db
      .update(payments)
      .set({ ...fields, updatedAt: new Date() })
      .where(and(eq(payments.id, id), ne(payments.status, 'succeeded')))
  }
}

function toPayment(row: typeof payments.$inferSelect): Payment {
  return { id: row.id, orderId: row.orderId, amount: toAmount(row.amountCents), status: row.status }
}
