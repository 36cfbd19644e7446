import type { Client } from '@libsql/client'
import type { Tracer } from '@opentelemetry/api'
import { and, eq, inArray, sql } from 'drizzle-orm'
import type { LibSQLDatabase } from 'drizzle-orm/libsql'
import { assertTimeLeft } from '../../shared/deadline.ts'
import { AppError } from '../../shared/errors.ts'
import type { Faults } from '../../shared/faults.ts'
import { batchOf, bound } from '../../shared/prepared.ts'
import { inSpan } from '../../shared/telemetry/span.ts'
import { type ItemRequest, toAmount } from '../../shared/types.ts'
import type { PricedItem, Product, Reservation } from './contract.ts'
import type * as schema from './schema.ts'
import { products, releasedOrders, reservations } from './schema.ts'

/** Inventory's database, typed by its drizzle schema, with its libSQL client (`batchOf` runs on it). */
export type InventoryDb = LibSQLDatabase<typeof schema> & { $client: Client }

export interface InventoryDeps {
  db: InventoryDb
  tracer: Tracer
  /** `fault.inventory=slow:<ms>` slows the product lookup, the availability check and the reservation. */
  faults: Faults
}

/** Stock and reservations. Every change of stock is one atomic batch guarded by the `available >= 0` check. */
export class Inventory {
  private readonly statements: ReturnType<typeof preparedStatements>

  constructor(private readonly deps: InventoryDeps) {
    this.statements = preparedStatements(deps.db)
  }

  async listProducts(): Promise<Product[]> {
    const rows = await this.deps.db.select().from(products).orderBy(products.id)
    return rows.map((row) => ({
      id: row.id,
      name: row.name,
      price: toAmount(row.priceCents),
      available: row.available,
    }))
  }

  /** One product with its price and stock now; `404 unknown_item` if the catalogue does not have it. */
  product(id: string): Promise<Product> {
    return inSpan(this.deps.tracer, 'inventory.get_product', { attributes: { 'item.id': id } }, async () => {
      await this.deps.faults.slowDown('inventory')
      const [row] = await this.deps.db.select().from(products).where(eq(products.id, id))
      if (!row) throw new AppError(404, 'unknown_item', `unknown item: ${id}`, { unknownItems: [id] })
      return { id: row.id, name: row.name, price: toAmount(row.priceCents), available: row.available }
    })
  }

  /** Prices the items and checks each is in stock: `404 unknown_item` or `409 insufficient_inventory` otherwise. */
  checkAvailability(items: ItemRequest[]): Promise<PricedItem[]> {
    return inSpan(
      this.deps.tracer,
      'inventory.check_availability',
      { attributes: { 'items.count': items.length } },
      async (span) => {
        await this.deps.faults.slowDown('inventory')
        const stock = await this.stockOf(items)
        for (const item of items) {
          span.addEvent('check_item', {
            'item.id': item.id,
            'item.requested': item.quantity,
            'item.available': stock.get(item.id)?.available ?? 0,
          })
        }
        assertInStock(items, stock)
        return items.map((item) => ({ ...item, unitPrice: toAmount(stock.get(item.id)!.priceCents) }))
      },
    )
  }

  /**
   * Reserves every item for the order or none: the inserts and the stock updates run in one batch, and the
   * `available >= 0` check aborts it if any item would oversell. An order reserves once: a repeated reservation, even
   * a concurrent one or one with other items, is answered with the first and takes nothing. An order already released
   * is refused (`409 reservation_closed`), also when its release wins a race with this.
   */
  reserve(orderId: string, items: ItemRequest[]): Promise<Reservation> {
    const attributes = { 'order.id': orderId, 'items.count': items.length }
    return inSpan(this.deps.tracer, 'inventory.reserve', { attributes }, async (span) => {
      await this.deps.faults.slowDown('inventory')
      // Nothing is read first: the batch itself refuses what a read would have found, and the catch below says
      // which. An unknown item fails on the foreign key to its product (libSQL enforces foreign keys, in a file and
      // on a server alike), too little stock on the check, a released order on its trigger. An order that has its
      // reservation already, whatever the items asked now, inserts nothing and takes no stock (`changes()` counts
      // the statement before), and is answered with the reservation it has.
      assertTimeLeft()
      const values = { orderId, now: Date.now(), items: JSON.stringify(items) }
      let inserted: number
      try {
        const [insert] = await batchOf(this.deps.db.$client, [
          [this.statements.insertReservation, values],
          [this.statements.takeStock, values],
        ])
        inserted = insert.rowsAffected
      } catch (error) {
        const winner = await this.reservationOf(orderId)
        if (winner) return openOrSold(winner)
        if (await this.wasReleased(orderId)) throw reservationClosed(orderId)
        assertInStock(items, await this.stockOf(items))
        throw error
      }
      if (inserted === 0) return openOrSold((await this.reservationOf(orderId))!)
      for (const item of items) span.addEvent('item_reserved', { 'item.id': item.id, 'item.quantity': item.quantity })
      return { orderId, status: 'reserved', items: items.map(({ id, quantity }) => ({ id, quantity })) }
    })
  }

  /**
   * Gives reserved stock back and closes the order to reservations, whether or not its reservation has arrived yet;
   * a reservation already released or committed is left as it is.
   */
  release(orderId: string): Promise<Reservation | undefined> {
    return inSpan(this.deps.tracer, 'inventory.release', { attributes: { 'order.id': orderId } }, async () => {
      const open = and(eq(reservations.orderId, orderId), eq(reservations.status, 'reserved'))
      await this.deps.db.batch([
        this.deps.db
          .update(products)
          .set({
            available: sql`${products.available} + (select ${reservations.quantity} from ${reservations}
              where ${reservations.orderId} = ${orderId} and ${reservations.productId} = ${products.id} and ${reservations.status} = 'reserved')`,
          })
          .where(
            inArray(products.id, this.deps.db.select({ id: reservations.productId }).from(reservations).where(open)),
          ),
        this.deps.db.update(reservations).set({ status: 'released', updatedAt: new Date() }).where(open),
        this.deps.db.insert(releasedOrders).values({ orderId, releasedAt: new Date() }).onConflictDoNothing(),
      ])
      return this.reservationOf(orderId)
    })
  }

  /**
   * Marks the reserved stock as sold once the order is paid: one statement for all the order's rows, so it cannot
   * interleave with a release. A reservation that is not held (released, or never made) is `409 reservation_closed`:
   * an order is never completed without its stock.
   */
  commit(orderId: string): Promise<Reservation> {
    return inSpan(this.deps.tracer, 'inventory.commit', { attributes: { 'order.id': orderId } }, async () => {
      const committed = await this.statements.commit.all({ orderId, updatedAt: Date.now() })
      // Nothing held to commit: a repeated commit finds the rows committed already.
      const reservation = committed.length > 0 ? toReservation(orderId, committed) : await this.reservationOf(orderId)
      if (reservation?.status !== 'committed') {
        throw new AppError(409, 'reservation_closed', `order ${orderId} holds no reservation to commit`)
      }
      return reservation
    })
  }

  private async wasReleased(orderId: string): Promise<boolean> {
    return (await this.deps.db.select().from(releasedOrders).where(eq(releasedOrders.orderId, orderId))).length > 0
  }

  async reservationOf(orderId: string): Promise<Reservation | undefined> {
    const rows = await this.deps.db.select().from(reservations).where(eq(reservations.orderId, orderId))
    return rows.length > 0 ? toReservation(orderId, rows) : undefined
  }

  /** Stock and price of the items; `404 unknown_item` names any id the catalogue does not have. */
  private async stockOf(items: ItemRequest[]) {
    const ids = items.map((item) => item.id)
    const rows = await this.statements.products.all({ ids: JSON.stringify(ids) })
    const stock = new Map(rows.map((row) => [row.id, row]))
    const unknownItems = ids.filter((id) => !stock.has(id))
    if (unknownItems.length > 0)
      throw new AppError(404, 'unknown_item', `unknown item: ${unknownItems.join(', ')}`, { unknownItems })
    return stock
  }
}

/** The statements every order runs, prepared once (see shared/prepared.ts). */
function preparedStatements(db: InventoryDb) {
  const param = sql.placeholder
  return {
    /** Products by id: the ids as one JSON array, so one statement serves any number of them. */
    products: db
      .select()
      .from(products)
      .where(inArray(products.id, sql`(select value from json_each(${param('ids')}))`))
      .prepare(),
    /**
     * An order's reservation, its items a JSON array; nothing if the order has a reservation already, whatever its
     * items (SQLite reads the table before it inserts).
     */
    insertReservation: db
      .run(sql`
        insert into ${reservations} (order_id, product_id, quantity, status, updated_at)
        select ${param('orderId')}, value ->> 'id', value ->> 'quantity', 'reserved', ${param('now')}
        from json_each(${param('items')})
        where not exists (select 1 from ${reservations} where ${reservations.orderId} = ${param('orderId')})`)
      .getQuery(),
    /** The stock the reservation takes, only if it was inserted (`changes()` counts the statement before). */
    takeStock: db
      .run(sql`
        update ${products} set available = available - (
          select value ->> 'quantity' from json_each(${param('items')}) where value ->> 'id' = ${products.id})
        where ${products.id} in (select value ->> 'id' from json_each(${param('items')})) and changes() > 0`)
      .getQuery(),
    /** An order's held reservation rows, marked sold. */
    commit: db
      .update(reservations)
      .set({ status: 'committed', updatedAt: bound<number>('updatedAt') })
      .where(and(eq(reservations.orderId, param('orderId')), eq(reservations.status, 'reserved')))
      // Only what a `Reservation` is made of: libSQL's cost grows with each column returned.
      .returning({ productId: reservations.productId, quantity: reservations.quantity, status: reservations.status })
      .prepare(),
  }
}

/** The order's reservation rows, one per product, as one reservation. */
function toReservation(
  orderId: string,
  rows: Pick<typeof reservations.$inferSelect, 'productId' | 'quantity' | 'status'>[],
): Reservation {
  return { orderId, status: rows[0]!.status, items: rows.map((row) => ({ id: row.productId, quantity: row.quantity })) }
}

function assertInStock(items: ItemRequest[], stock: Map<string, { available: number }>): void {
  const unavailableItems = items.filter((item) => stock.get(item.id)!.available < item.quantity).map((item) => item.id)
  if (unavailableItems.length > 0) {
    throw new AppError(409, 'insufficient_inventory', 'not enough stock for some items', { unavailableItems })
  }
}

/** A repeated reservation is answered with the first; one already released is not a reservation any more. */
function openOrSold(reservation: Reservation): Reservation {
  if (reservation.status === 'released') throw reservationClosed(reservation.orderId)
  return reservation
}

function reservationClosed(orderId: string): AppError {
  return new AppError(409, 'reservation_closed', `order ${orderId} was released: it can no longer reserve stock`)
}
