import { sql } from 'drizzle-orm'
import { check, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core'

export const products = sqliteTable(
  'products',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    priceCents: integer('price_cents').notNull(),
    /** Stock that can still be reserved. The check makes an overselling update fail inside its transaction. */
    available: integer('available').notNull(),
  },
  (table) => [check('available_not_negative', sql`${table.available} >= 0`)],
)

export const reservationStatuses = ['reserved', 'released', 'committed'] as const
export type ReservationStatus = (typeof reservationStatuses)[number]

/** One row per order and product; the key makes a second reservation for the same order fail, not double-count. */
export const reservations = sqliteTable(
  'reservations',
  {
    orderId: text('order_id').notNull(),
    productId: text('product_id')
      .notNull()
      .references(() => products.id),
    quantity: integer('quantity').notNull(),
    status: text('status', { enum: reservationStatuses }).notNull(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (table) => [primaryKey({ columns: [table.orderId, table.productId] })],
)

/**
 * Orders whose stock was released: a reservation for one of them is refused (a trigger aborts its insert), so a
 * reservation that arrives after its order gave up cannot hold stock for an order that no longer exists.
 */
export const releasedOrders = sqliteTable('released_orders', {
  orderId: text('order_id').primaryKey(),
  releasedAt: integer('released_at', { mode: 'timestamp_ms' }).notNull(),
})
