import { integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core'

/** pending: recorded; reserved: stock held; paid: done; cancelled: failed after it was recorded, stock released. */
export const orderStatuses = ['pending', 'reserved', 'paid', 'cancelled'] as const
export type OrderStatus = (typeof orderStatuses)[number]

export const orders = sqliteTable('orders', {
  id: text('id').primaryKey(),
  userId: text('user_id').notNull(),
  status: text('status', { enum: orderStatuses }).notNull(),
  totalCents: integer('total_cents').notNull(),
  paymentId: text('payment_id'),
  /** The caller's Idempotency-Key (or requestId): a second request with it finds this order instead of a new one. */
  idempotencyKey: text('idempotency_key').unique(),
  /** Why a cancelled order failed, so a replay of its request gets the first answer. */
  failureStatus: integer('failure_status'),
  failureCode: text('failure_code'),
  failureMessage: text('failure_message'),
  createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
})

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
