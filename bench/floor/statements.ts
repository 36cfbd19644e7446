// The libSQL statements of one order as the services sent them when the floor was set (the SQL text drizzle built,
// read from the `db.query.text` of a traced order's spans): the floor sends the same text with the same values. One
// one-item order: 14 calls, 18 statements (three are batches), plus the outbox delivery that marks the order's
// notification delivered. The floor is a fixed yardstick: the shop has since dropped the per-item price call and
// three reads (see docs/benchmarks.md), and the floor keeps them, so the ratio counts what those cuts saved.

const PRODUCT_COLUMNS = '"id", "name", "price_cents", "available"'
const RESERVATION_COLUMNS = '"order_id", "product_id", "quantity", "status", "updated_at"'
const PAYMENT_COLUMNS =
  '"id", "order_id", "amount_cents", "status", "attempts", "provider_reference", "failure_reason", "reconciled_at", "created_at", "updated_at"'
const placeholders = (count: number, each = '?') => Array.from({ length: count }, () => each).join(', ')

export const inventory = {
  listProducts: `select ${PRODUCT_COLUMNS} from "products" order by "products"."id"`,
  /** The availability check, and the stock check of a reservation. */
  productsIn: (count: number) =>
    `select ${PRODUCT_COLUMNS} from "products" where "products"."id" in (${placeholders(count)})`,
  /** One item's price. */
  product: `select ${PRODUCT_COLUMNS} from "products" where "products"."id" = ?`,
  reservationOf: `select ${RESERVATION_COLUMNS} from "reservations" where "reservations"."order_id" = ?`,
  /** Batched with one `takeStock` per item. */
  insertReservations: (count: number) =>
    `insert into "reservations" (${RESERVATION_COLUMNS}) values ${placeholders(count, '(?, ?, ?, ?, ?)')}`,
  takeStock: 'update "products" set "available" = "products"."available" - ? where "products"."id" = ?',
  commit:
    'update "reservations" set "status" = ?, "updated_at" = ? where ("reservations"."order_id" = ? and "reservations"."status" = ?)',
}

export const order = {
  /** Batched with `insertItems`: the order goes in only while the user has fewer than the limit in progress. */
  insertOrder: `
        insert into "orders" (id, user_id, status, total_cents, idempotency_key, created_at, updated_at)
        select ?, ?, 'pending', ?, ?, ?, ?
        where (select count(*) from "orders" where ("orders"."user_id" = ? and "orders"."status" in (?, ?, ?, ?))) < ?`,
  insertItems: (count: number) => `
        insert into "order_items" (order_id, product_id, quantity, unit_price_cents)
        select * from (values ${placeholders(count, '(?, ?, ?, ?)')}) where changes() > 0`,
  transition:
    'update "orders" set "status" = ?, "updated_at" = ? where ("orders"."id" = ? and "orders"."status" in (?)) returning "id"',
  transitionWithPayment:
    'update "orders" set "status" = ?, "payment_id" = ?, "updated_at" = ? where ("orders"."id" = ? and "orders"."status" in (?)) returning "id"',
  /** Batched after the transition to `paid`. */
  recordNotification: `
      insert into "outbox" (id, order_id, kind, payload, traceparent, created_at)
      select ?, ?, ?, ?, ?, ?
      where changes() > 0
      on conflict do nothing`,
  /** The delivery loop: due notifications, oldest first, 50 a run; then one update each. */
  dueNotifications:
    'select "id", "order_id", "kind", "payload", "traceparent", "created_at", "delivered_at", "attempts", "last_error", "next_attempt_at" from "outbox" where ("outbox"."delivered_at" is null and ("outbox"."next_attempt_at" is null or "outbox"."next_attempt_at" <= ?)) order by "outbox"."created_at" asc limit ?',
  markDelivered:
    'update "outbox" set "delivered_at" = ?, "attempts" = "outbox"."attempts" + 1, "last_error" = null where ("outbox"."id" = ? and "outbox"."delivered_at" is null)',
}

export const payment = {
  record: `insert into "payments" (${PAYMENT_COLUMNS}) values (?, ?, ?, ?, ?, null, null, null, ?, ?) on conflict ("payments"."order_id") do nothing`,
  byOrder: `select ${PAYMENT_COLUMNS} from "payments" where "payments"."order_id" = ?`,
  claim:
    'update "payments" set "status" = ?, "attempts" = ?, "updated_at" = ? where ("payments"."id" = ? and "payments"."status" in (?, ?)) returning "id"',
  succeed: `update "payments" set "status" = ?, "provider_reference" = ?, "updated_at" = ? where ("payments"."id" = ? and "payments"."status" = ?) returning ${PAYMENT_COLUMNS}`,
}
