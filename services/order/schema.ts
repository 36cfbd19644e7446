import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'

import { orderStatuses } from './contract.ts'

export const orders = sqliteTable(
  'orders',
  {
    id: text('id').primaryKey(),
    userId: text('user_id').notNull(),
    status: text('status', { enum: orderStatuses }).notNull(),
    totalCents: integer('total_cents').notNull(),
    paymentId: text('payment_id'),
    /**
     * The caller's Idempotency-Key (or requestId): a second request of the same user with it finds this order instead
     * of a new one. Keys are the user's own: another user's key never reaches this order.
     */
    idempotencyKey: text('idempotency_key'),
    /**
     * Why a cancelled order failed, the error's status, code, message and details: a replay of its request gets the
     * first answer.
     */
    failureStatus: integer('failure_status'),
    failureCode: text('failure_code'),
    failureMessage: text('failure_message'),
    failureDetails: text('failure_details', { mode: 'json' }).$type<Record<string, unknown>>(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (table) => [uniqueIndex('orders_user_idempotency_key').on(table.userId, table.idempotencyKey)],
)

export const orderItems = sqliteTable(
  'order_items',
  {
    orderId: text('order_id')
      .notNull()
      .references(() => orders.id),
    productId: text('product_id').notNull(),
    quantity: integer('quantity').notNull(),
    unitPriceCents: integer('unit_price_cents').notNull(),
  },
  (table) => [primaryKey({ columns: [table.orderId, table.productId] })],
)

export const notificationKinds = ['order.paid', 'order.cancelled'] as const
export type NotificationKind = (typeof notificationKinds)[number]

/**
 * Notifications to send, written in the same transaction as the status change they announce, and sent by the
 * delivery loop until one attempt succeeds (at least once; `id` is the receiver's idempotency key).
 */
export const outbox = sqliteTable(
  'outbox',
  {
    id: text('id').primaryKey(),
    orderId: text('order_id')
      .notNull()
      .references(() => orders.id),
    kind: text('kind', { enum: notificationKinds }).notNull(),
    /** The JSON document sent: the order as it stands after the change. */
    payload: text('payload', { mode: 'json' }).notNull(),
    /** The span that changed the status, so the delivery's span can link back to the order's trace. */
    traceparent: text('traceparent'),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    deliveredAt: integer('delivered_at', { mode: 'timestamp_ms' }),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    /** After a failed attempt, not before this: a receiver that is down is tried less and less often. */
    nextAttemptAt: integer('next_attempt_at', { mode: 'timestamp_ms' }),
  },
  // One notification per order and kind: a status change repeated (recovery after a crash) adds nothing.
  (table) => [
    uniqueIndex('outbox_order_kind').on(table.orderId, table.kind),
    index('outbox_undelivered').on(table.deliveredAt, table.createdAt),
    index('outbox_due').on(table.deliveredAt, table.nextAttemptAt),
  ],
)
