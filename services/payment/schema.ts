import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core'

/**
 * pending: being charged; succeeded: the money is taken; declined: the provider said no; failed: no answer after the
 * retries (a new request may try again); voided: the order gave up first, no charge may succeed any more; refunded:
 * a charge that went through after the void (or for an order that could not be completed), given back.
 */
export const paymentStatuses = ['pending', 'succeeded', 'declined', 'failed', 'voided', 'refunded'] as const
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
  createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
})
