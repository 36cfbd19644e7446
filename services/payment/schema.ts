import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core'

export const paymentStatuses = ['pending', 'succeeded', 'declined', 'failed'] as const
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
