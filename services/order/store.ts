import { and, eq, inArray, lt, type SQL, sql } from 'drizzle-orm'
import { AppError } from '../../shared/errors.ts'
import { bound } from '../../shared/prepared.ts'
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
  /** The status change prepared once (see shared/prepared.ts); a batch builds it from the values instead. */
  private readonly statusChange: ReturnType<typeof preparedStatusChange>

  constructor(private readonly deps: { db: OrderDb; outbox: Outbox }) {
    this.statusChange = preparedStatusChange(deps.db)
  }

  /**
   * Inserts the order `pending` with its items in one batch, but only while the user has fewer than `maxOpenOrders`
   * orders in progress: the count and the insert are one statement, so concurrent orders cannot all slip under the
   * limit. Answers undefined when over the limit; a taken request id throws (the unique key), for the caller to
   * find the order that took it.
   */
  async insert(request: PlaceOrder, priced: PricedItem[], maxOpenOrders: number): Promise<StoredOrder | undefined> {
    const { db } = this.deps
    const now = new Date()
    const id = crypto.randomUUID()
    const total = totalCents(priced)
    const items = sql.join(
      priced.map((item) => sql`(${id}, ${item.id}, ${item.quantity}, ${toCents(item.unitPrice)})`),
      sql`, `,
    )
    const [inserted] = await db.batch([
      db.run(sql`
        insert into ${orders} (id, user_id, status, total_cents, idempotency_key, created_at, updated_at)
        select ${id}, ${request.userId}, 'pending', ${total}, ${request.requestId ?? null}, ${now.getTime()}, ${now.getTime()}
        where (select count(*) from ${orders} where ${inProgress(request.userId)}) < ${maxOpenOrders}`),
      // Only if the order went in (`changes()` counts the statement before).
      db.run(sql`
        insert into ${orderItems} (order_id, product_id, quantity, unit_price_cents)
        select * from (values ${items}) where changes() > 0`),
    ])
    if (inserted.rowsAffected === 0) return undefined
    return {
      id,
      userId: request.userId,
      items: priced,
      totalAmount: toAmount(total),
      status: 'pending',
      createdAt: now.toISOString(),
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
    const { db, outbox } = this.deps
    const next: StoredOrder = {
      ...order,
      status: to,
      paymentId: fields.paymentId ?? order.paymentId,
      failure: fields.failure ?? order.failure,
    }
    // Fields not given keep their value (`coalesce`).
    const change = {
      id: order.id,
      from,
      to,
      updatedAt: Date.now(),
      paymentId: fields.paymentId ?? null,
      failureStatus: fields.failure?.status ?? null,
      failureCode: fields.failure?.code ?? null,
      failureMessage: fields.failure?.message ?? null,
    }
    const [changed] = notify
      ? await db.batch([statusChange(db, given(change)), outbox.recordIfChanged(order.id, notify, orderDocument(next))])
      : [await this.statusChange.all(change)]
    return changed.length > 0 ? next : undefined
  }

  findById(id: string): Promise<StoredOrder | undefined> {
    return this.first(eq(orders.id, id))
  }

  findByRequestId(userId: string, requestId: string): Promise<StoredOrder | undefined> {
    return this.first(and(eq(orders.userId, userId), eq(orders.idempotencyKey, requestId)))
  }

  /** Orders still in progress whose last change is older than `staleAfterMs`: a crash interrupted them. */
  async interrupted(staleAfterMs: number): Promise<StoredOrder[]> {
    const rows = await this.deps.db
      .select()
      .from(orders)
      .where(and(inArray(orders.status, [...UNSETTLED]), lt(orders.updatedAt, new Date(Date.now() - staleAfterMs))))
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
          )
        : undefined,
    }
  }
}

type StatusChange = Record<'id' | 'from' | 'to' | 'updatedAt' | StatusChangeField, SQL>
type StatusChangeField = 'paymentId' | 'failureStatus' | 'failureCode' | 'failureMessage'

/** The conditional write of a status change; each value a placeholder (prepared) or a value (`given`). */
function statusChange(db: OrderDb, change: StatusChange) {
  const keep = (field: StatusChangeField) => sql`coalesce(${change[field]}, ${orders[field]})`
  return db
    .update(orders)
    .set({
      status: sql`${change.to}`,
      updatedAt: sql`${change.updatedAt}`,
      paymentId: keep('paymentId'),
      failureStatus: keep('failureStatus'),
      failureCode: keep('failureCode'),
      failureMessage: keep('failureMessage'),
    })
    .where(and(eq(orders.id, change.id), eq(orders.status, change.from)))
    .returning({ id: orders.id })
}

const CHANGE_KEYS = [
  'id',
  'from',
  'to',
  'updatedAt',
  'paymentId',
  'failureStatus',
  'failureCode',
  'failureMessage',
] as const

function preparedStatusChange(db: OrderDb) {
  return statusChange(db, Object.fromEntries(CHANGE_KEYS.map((key) => [key, bound(key)])) as StatusChange).prepare()
}

/** The values of one change, bound as they are. */
function given(values: Record<keyof StatusChange, string | number | null>): StatusChange {
  return Object.fromEntries(CHANGE_KEYS.map((key) => [key, sql`${values[key]}`])) as StatusChange
}

const inProgress = (userId: string) => and(eq(orders.userId, userId), inArray(orders.status, [...UNSETTLED]))

/** An order in the one shape the API answers with (keys in this order, `paymentId` only once there is one). */
export function orderDocument({ id, userId, items, totalAmount, status, paymentId, createdAt }: StoredOrder): Order {
  return { id, userId, items, totalAmount, status, ...(paymentId ? { paymentId } : {}), createdAt }
}
