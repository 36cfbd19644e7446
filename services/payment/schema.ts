import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core'

/**
 * pending: recorded, not tried yet (rows of earlier versions: a payment is now recorded `charging`, its first attempt
 * claimed); charging: an attempt is at the provider; succeeded: the money is taken; declined:
 * the provider said no; failed: the last attempt got no answer (it may have charged; a new request may try again);
 * voided: the order gave up, no attempt may start or succeed any more; refunded: a charge given back (one that went
 * through after the void, or for an order that could not be completed).
 */
export const paymentStatuses = ['pending', 'charging', 'succeeded', 'declined', 'failed', 'voided', 'refunded'] as const
export type PaymentStatus = (typeof paymentStatuses)[number]

export const payments = sqliteTable('payments', {
  id: text('id').primaryKey(),
  /** One payment per order: a retried or replayed request finds it and never charges twice. */
  orderId: text('order_id').notNull().unique(),
  amountCents: integer('amount_cents').notNull(),
  status: text('status', { enum: paymentStatuses }).notNull(),
  attempts: integer('attempts').notNull().default(0),
  providerReference: text('provider_reference'),
  failureReason: text('failure_reason'),
  /**
   * When a voided payment that had attempts was found not charged at the provider (or refunded): until then the
   * payment service keeps asking, since an attempt's outcome was not known when it was voided.
   */
  reconciledAt: integer('reconciled_at', { mode: 'timestamp_ms' }),
  createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
})
