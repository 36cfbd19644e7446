import type { Tracer } from '@opentelemetry/api'
import { eq, sql } from 'drizzle-orm'
import type { LibSQLDatabase } from 'drizzle-orm/libsql'
import { AppError, toAppError } from '../../shared/errors.ts'
import { inSpan } from '../../shared/telemetry/span.ts'
import { type ItemRequest, toAmount, toCents } from '../../shared/types.ts'
import type { InventoryApi } from '../inventory/client.ts'
import type { PricedItem } from '../inventory/domain.ts'
import type { PaymentApi } from '../payment/client.ts'
import * as schema from './schema.ts'
import { orderItems, orders, type OrderStatus } from './schema.ts'

export type OrderDb = LibSQLDatabase<typeof schema>

export interface Order {
  id: string
  userId: string
  items: PricedItem[]
  totalAmount: number
  status: OrderStatus
  paymentId?: string
  createdAt: string
}

export interface PlaceOrder {
  userId: string
  items: ItemRequest[]
  /** The Idempotency-Key header or the body's requestId. */
  requestId?: string
}

export interface OrderDeps {
  db: OrderDb
  inventory: InventoryApi
  payment: PaymentApi
  tracer: Tracer
}

/**
 * The order saga: check inventory → record the order → reserve inventory → charge → mark paid. A failure after
 * the record exists is compensated: the reservation is released and the order cancelled, keeping why.
 */
export class Orders {
  constructor(private readonly deps: OrderDeps) {}

  place(request: PlaceOrder): Promise<Order> {
    const { tracer, inventory, payment } = this.deps
    const attributes = { 'user.id': request.userId, 'items.count': request.items.length, 'request.id': request.requestId }
    return inSpan(tracer, 'order_service.create_order', { attributes }, async (span) => {
      const earlier = request.requestId ? await this.findByRequestId(request.requestId) : undefined
      if (earlier) return replay(earlier)

      const priced = await inSpan(tracer, 'check_inventory', { attributes: { 'items.count': request.items.length } }, () =>
        inventory.checkAvailability(request.items),
      )
      const { order, created } = await inSpan(tracer, 'create_order_record', {}, () => this.record(request, priced))
      span.setAttribute('order.id', order.id)
      if (!created) return replay(order)
      span.setAttribute('order.total', order.totalAmount)

      try {
        await inSpan(tracer, 'reserve_inventory', { attributes: { 'order.id': order.id } }, () => inventory.reserve(order.id, request.items))
        await this.update(order.id, { status: 'reserved' })
        const charged = await inSpan(tracer, 'create_payment', { attributes: { 'order.id': order.id, amount: order.totalAmount } }, async (paymentSpan) => {
          const result = await payment.create(order.id, order.totalAmount)
          paymentSpan.setAttributes({ 'payment.id': result.id, 'payment.status': result.status })
          return result
        })
        await inSpan(tracer, 'complete_order', { attributes: { 'order.id': order.id } }, async () => {
          await this.update(order.id, { status: 'paid', paymentId: charged.id })
          await inventory.commit(order.id)
        })
        Object.assign(order, { status: 'paid', paymentId: charged.id })
      } catch (error) {
        await this.compensate(order.id, toAppError(error))
        span.setAttribute('order.status', 'cancelled')
        throw error
      }
      span.setAttribute('order.status', order.status)
      return order
    })
  }

  async get(id: string): Promise<Order> {
    const row = await this.deps.db.query.orders.findFirst({ where: eq(orders.id, id) })
    if (!row) throw new AppError(404, 'order_not_found', `order ${id} not found`)
    return this.withItems(row)
  }

  /** Releases the order's stock and cancels it; the error is kept so a replay of the request answers the same. */
  private compensate(orderId: string, error: AppError): Promise<void> {
    return inSpan(this.deps.tracer, 'compensate_order', { attributes: { 'order.id': orderId, 'error.type': error.code } }, async () => {
      await this.deps.inventory.release(orderId)
      await this.update(orderId, { status: 'cancelled', failureStatus: error.status, failureCode: error.code, failureMessage: error.message })
    })
  }

  /** Inserts the order and its items in one batch; when the request id is already taken, finds that order instead. */
  private async record(request: PlaceOrder, priced: PricedItem[]): Promise<{ order: StoredOrder; created: boolean }> {
    const now = new Date()
    const id = crypto.randomUUID()
    const totalCents = priced.reduce((sum, item) => sum + toCents(item.unitPrice) * item.quantity, 0)
    const { db } = this.deps
    try {
      await db.batch([
        db.insert(orders).values({ id, userId: request.userId, status: 'pending', totalCents, idempotencyKey: request.requestId, createdAt: now, updatedAt: now }),
        db.insert(orderItems).values(
          priced.map((item) => ({ orderId: id, productId: item.id, quantity: item.quantity, unitPriceCents: toCents(item.unitPrice) })),
        ),
      ])
    } catch (error) {
      // A concurrent request with the same id recorded its order first: that one is the answer.
      const earlier = request.requestId ? await this.findByRequestId(request.requestId) : undefined
      if (earlier) return { order: earlier, created: false }
      throw error
    }
    const order = { id, userId: request.userId, items: priced, totalAmount: toAmount(totalCents), status: 'pending' as const, createdAt: now.toISOString() }
    return { order, created: true }
  }

  private async findByRequestId(requestId: string): Promise<StoredOrder | undefined> {
    const row = await this.deps.db.query.orders.findFirst({ where: eq(orders.idempotencyKey, requestId) })
    return row && this.withItems(row)
  }

  private async withItems(row: typeof orders.$inferSelect): Promise<StoredOrder> {
    // rowid keeps the items in the order the customer listed them.
    const items = await this.deps.db.select().from(orderItems).where(eq(orderItems.orderId, row.id)).orderBy(sql`rowid`)
    return {
      id: row.id,
      userId: row.userId,
      items: items.map((item) => ({ id: item.productId, quantity: item.quantity, unitPrice: toAmount(item.unitPriceCents) })),
      totalAmount: toAmount(row.totalCents),
      status: row.status,
      ...(row.paymentId ? { paymentId: row.paymentId } : {}),
      createdAt: row.createdAt.toISOString(),
      failure: row.failureCode ? new AppError(row.failureStatus as AppError['status'], row.failureCode as AppError['code'], row.failureMessage ?? '') : undefined,
    }
  }

  private update(id: string, fields: Partial<typeof orders.$inferInsert>) {
    return this.deps.db.update(orders).set({ ...fields, updatedAt: new Date() }).where(eq(orders.id, id))
  }
}

type StoredOrder = Order & { failure?: AppError }

/** The first answer to a request, given again: the order, or the error that cancelled it. */
function replay({ failure, ...order }: StoredOrder): Order {
  if (failure) throw failure
  return order
}
