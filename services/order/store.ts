import { and, eq, inArray, lte, type SQL, sql } from 'drizzle-orm'
import { AppError } from '../../shared/errors.ts'
import { batchOf, bound } from '../../shared/prepared.ts'
import { toAmount, toCents } from '../../shared/types.ts'
import type { PricedItem } from '../inventory/contract.ts'
import { type Order, type OrderStatus, type PlaceOrder, totalCents, UNSETTLED } from './contract.ts'
import type { OrderDb } from './database.ts'
import type { Outbox } from './outbox.ts'
import { type NotificationKind, orderItems, orders } from './schema.ts'

/** An order as stored: the API's document, and the error that cancelled it, kept so a replay answers the same. */
export type StoredOrder = Order & { failure?: AppError }

/** What a status change may set besides the status. */
export interface TransitionFields {
  paymentId?: string
  failure?: AppError
}

/** Orders in the order service's database. Every status change is one conditional write. */
export class OrderStore {
  private readonly statements: ReturnType<typeof preparedStatements>

  constructor(private readonly deps: { db: OrderDb; outbox: Outbox }) {
    this.statements = preparedStatements(deps.db)
  }

  /**
   * Inserts the order `pending` with its items in one batch, but only while the user has fewer than `maxOpenOrders`
   * orders in progress: the count and the insert are one statement, so concurrent orders cannot all slip under the
   * limit. Answers undefined when over the limit; a taken request id throws (the unique key), for the caller to
   * find the order that took it.
   */
  async insert(request: PlaceOrder, priced: PricedItem[], maxOpenOrders: number): Promise<StoredOrder | undefined> {
    const now = Date.now()
    const id = crypto.randomUUID()
    const total = totalCents(priced)
    const items = priced.map((item) => ({
      id: item.id,
      quantity: item.quantity,
      unitPriceCents: toCents(item.unitPrice),
    }))
    const [inserted] = await batchOf(this.deps.db.$client, [
      [
        this.statements.insertOrder,
        { id, userId: request.userId, total, requestId: request.requestId ?? null, now, maxOpenOrders },
      ],
      [this.statements.insertItems, { id, items: JSON.stringify(items) }],
    ])
    if (inserted.rowsAffected === 0) return undefined
    return {
      id,
      userId: request.userId,
      items: priced,
      totalAmount: toAmount(total),
      status: 'pending',
      createdAt: new Date(now).toISOString(),
    }
  }

  /**
   * Moves the order from status `from` to `to`, as one conditional write, and, with `notify`, records the
   * notification announcing it in the same transaction, only if the write changed the row. Answers the order as it
   * now is, or undefined when it was no longer in `from` (another writer moved it first: nothing was written).
   */
  async transition(
    order: StoredOrder,
    from: OrderStatus,
    to: OrderStatus,
    fields: TransitionFields = {},
    notify?: NotificationKind,
  ): Promise<StoredOrder | undefined> {
    const { outbox } = this.deps
    const next: StoredOrder = {
      ...order,
      status: to,
      paymentId: fields.paymentId ?? order.paymentId,
      failure: fields.failure ?? order.failure,
    }
    const change = {
      id: order.id,
      from,
      to,
      updatedAt: Date.now(),
      paymentId: fields.paymentId ?? null,
      failureStatus: fields.failure?.status ?? null,
      failureCode: fields.failure?.code ?? null,
      failureMessage: fields.failure?.message ?? null,
      failureDetails: fields.failure?.details ? JSON.stringify(fields.failure.details) : null,
    }
    const { statusChange } = this.statements
    const [changed] = notify
      ? await batchOf(this.deps.db.$client, [
          [statusChange.getQuery(), change],
          outbox.recordIfChanged(order.id, notify, orderDocument(next)),
        ])
      : [await statusChange.run(change)]
    return changed!.rowsAffected > 0 ? next : undefined
  }

  findById(id: string): Promise<StoredOrder | undefined> {
    return this.first(eq(orders.id, id))
  }

  findByRequestId(userId: string, requestId: string): Promise<StoredOrder | undefined> {
    return this.first(and(eq(orders.userId, userId), eq(orders.idempotencyKey, requestId)))
  }

  /**
   * Orders still in progress whose last change is `staleAfterMs` old or more: a crash interrupted them. Or more, not
   * only older: times are kept to the millisecond, and with 0 an order changed within the same millisecond is stale.
   */
  async interrupted(staleAfterMs: number): Promise<StoredOrder[]> {
    const rows = await this.deps.db
      .select()
      .from(orders)
      .where(and(inArray(orders.status, [...UNSETTLED]), lte(orders.updatedAt, new Date(Date.now() - staleAfterMs))))
    return Promise.all(rows.map((row) => this.withItems(row)))
  }

  private async first(where: SQL | undefined): Promise<StoredOrder | undefined> {
    const [row] = await this.deps.db.select().from(orders).where(where).limit(1)
    return row && this.withItems(row)
  }

  private async withItems(row: typeof orders.$inferSelect): Promise<StoredOrder> {
    // rowid keeps the items in the order the customer listed them.
    const items = await this.deps.db.select().from(orderItems).where(eq(orderItems.orderId, row.id)).orderBy(sql`rowid`)
    return {
      id: row.id,
      userId: row.userId,
      items: items.map((item) => ({
        id: item.productId,
        quantity: item.quantity,
        unitPrice: toAmount(item.unitPriceCents),
      })),
      totalAmount: toAmount(row.totalCents),
      status: row.status,
      paymentId: row.paymentId ?? undefined,
      createdAt: row.createdAt.toISOString(),
      failure: row.failureCode
        ? new AppError(
            row.failureStatus as AppError['status'],
            row.failureCode as AppError['code'],
            row.failureMessage ?? '',
            row.failureDetails ?? undefined,
          )
        : undefined,
    }
  }
}

/** The statements of every order, built once (see shared/prepared.ts). */
function preparedStatements(db: OrderDb) {
  const param = sql.placeholder
  return {
    /**
     * The order `pending`, only while the user has fewer than `maxOpenOrders` in progress: the count and the insert
     * are one statement, so concurrent orders cannot all slip under the limit.
     */
    insertOrder: db
      .run(sql`
        insert into ${orders} (id, user_id, status, total_cents, idempotency_key, created_at, updated_at)
        select ${param('id')}, ${param('userId')}, 'pending', ${param('total')}, ${param('requestId')}, ${param('now')}, ${param('now')}
        where (select count(*) from ${orders} where ${orders.userId} = ${param('userId')}
          and ${inArray(orders.status, [...UNSETTLED])}) < ${param('maxOpenOrders')}`)
      .getQuery(),
    /**
     * Its items, a JSON array, inserted in the customer's order (`order by key`: the order's items are read back by
     * rowid), only if the order went in (`changes()` counts the statement before).
     */
    insertItems: db
      .run(sql`
        insert into ${orderItems} (order_id, product_id, quantity, unit_price_cents)
        select ${param('id')}, value ->> 'id', value ->> 'quantity', value ->> 'unitPriceCents'
        from json_each(${param('items')}) where changes() > 0 order by key`)
      .getQuery(),
    /** A status change from one status; a field given as null keeps its value. */
    statusChange: db
      .update(orders)
      .set({
        status: bound<OrderStatus>('to'),
        updatedAt: bound<number>('updatedAt'),
        paymentId: sql`coalesce(${param('paymentId')}, ${orders.paymentId})`,
        failureStatus: sql`coalesce(${param('failureStatus')}, ${orders.failureStatus})`,
        failureCode: sql`coalesce(${param('failureCode')}, ${orders.failureCode})`,
        failureMessage: sql`coalesce(${param('failureMessage')}, ${orders.failureMessage})`,
        failureDetails: sql`coalesce(${param('failureDetails')}, ${orders.failureDetails})`,
      })
      .where(and(eq(orders.id, param('id')), eq(orders.status, param('from'))))
      .prepare(),
  }
}

/** An order in the one shape the API answers with (keys in this order, `paymentId` only once there is one). */
export function orderDocument({ id, userId, items, totalAmount, status, paymentId, createdAt }: StoredOrder): Order {
  return { id, userId, items, totalAmount, status, ...(paymentId ? { paymentId } : {}), createdAt }
}
