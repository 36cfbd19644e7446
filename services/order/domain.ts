import type { Span, Tracer } from '@opentelemetry/api'
import { and, eq, inArray, lt, sql } from 'drizzle-orm'
import type { LibSQLDatabase } from 'drizzle-orm/libsql'
import { timeLeft, withoutDeadline } from '../../shared/deadline.ts'
import { AppError, toAppError } from '../../shared/errors.ts'
import type { Fault } from '../../shared/faults.ts'
import { inSpan } from '../../shared/telemetry/span.ts'
import { sleep } from '../../shared/time.ts'
import { type ItemRequest, toAmount, toCents } from '../../shared/types.ts'
import type { InventoryApi } from '../inventory/client.ts'
import type { PricedItem } from '../inventory/domain.ts'
import type { PaymentApi } from '../payment/client.ts'
import type { Outbox } from './outbox.ts'
import type { Prechecks } from './prechecks.ts'
import type * as schema from './schema.ts'
import { type NotificationKind, type OrderStatus, orderItems, orders } from './schema.ts'

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
  prechecks: Prechecks
  outbox: Outbox
  tracer: Tracer
  /** The fault asked of the order service for the active request (`crash:<step>` in tests). */
  fault?: () => Fault | undefined
  /** Ends the process at once, as a crash would; runtimes without processes leave it out. */
  crash?: () => void
}

/** Points of the saga where a test can make the order service die (`fault.order=crash:<step>`). */
export type SagaStep = 'after_record' | 'after_reserve' | 'after_payment' | 'before_compensation'

/** An order still pending or reserved this long after its last change was interrupted: recovery resolves it. */
export const DEFAULT_STALE_AFTER_MS = 30_000

/** Statuses an order can still leave; paid and cancelled are final. */
const UNSETTLED: OrderStatus[] = ['pending', 'reserved']

/** How long a repeated request waits for the first one to finish before answering with the order as it stands. */
const SETTLE_POLL_MS = 50

/**
 * Where an order stands once `attempt` is done: a repeated request already answered, an order charged and ready to
 * complete, or an order recorded that then failed and must be compensated.
 */
export type Attempt =
  | { kind: 'answered'; order: Order }
  | { kind: 'charged'; order: Order; paymentId: string }
  | { kind: 'failed'; order: Order; error: unknown }

/**
 * The order saga: pre-checks (stock, user, prices) → record the order → reserve inventory → charge → mark paid. A
 * failure after the record exists is compensated: the reservation is released and the order cancelled, keeping why.
 * Both ends write their notification to the outbox in the transaction that changes the status. An order left
 * half-way by a crash is resolved by `recover()`. `attempt` and `settle` are the two halves, apart for the batch
 * import's process and notify stages.
 */
export class Orders {
  constructor(private readonly deps: OrderDeps) {}

  place(request: PlaceOrder): Promise<Order> {
    const attributes = {
      'user.id': request.userId,
      'items.count': request.items.length,
      'request.id': request.requestId,
    }
    return inSpan(this.deps.tracer, 'order_service.create_order', { attributes }, async (span) =>
      this.settle(await this.attempt(request, span), span),
    )
  }

  /**
   * Everything up to the charge. Throws when nothing was recorded (a failed pre-check, the failure a repeated request
   * got); a failure once the order exists is returned for `settle` to compensate. `signal` stops the pre-checks;
   * once the order is recorded it is always taken to its end. `span` is the order's span, given its attributes.
   */
  async attempt(request: PlaceOrder, span: Span, signal?: AbortSignal): Promise<Attempt> {
    const { tracer, inventory, payment } = this.deps
    const earlier = request.requestId ? await this.findByRequestId(request.userId, request.requestId) : undefined
    if (earlier) return { kind: 'answered', order: await this.replay(earlier) }

    const priced = await this.deps.prechecks.run(request, signal)
    const { order, created } = await inSpan(tracer, 'create_order_record', {}, () => this.record(request, priced))
    span.setAttribute('order.id', order.id)
    if (!created) return { kind: 'answered', order: await this.replay(order) }
    span.setAttribute('order.total', order.totalAmount)
    this.checkpoint('after_record')

    try {
      await inSpan(tracer, 'reserve_inventory', { attributes: { 'order.id': order.id } }, () =>
        inventory.reserve(order.id, request.items),
      )
      await this.update(order.id, { status: 'reserved' })
      this.checkpoint('after_reserve')
      const charged = await inSpan(
        tracer,
        'create_payment',
        { attributes: { 'order.id': order.id, amount: order.totalAmount } },
        async (paymentSpan) => {
          const result = await payment.create(order.id, order.totalAmount)
          paymentSpan.setAttributes({ 'payment.id': result.id, 'payment.status': result.status })
          return result
        },
      )
      this.checkpoint('after_payment')
      return { kind: 'charged', order, paymentId: charged.id }
    } catch (error) {
      return { kind: 'failed', order, error }
    }
  }

  /**
   * Completes a charged order (paid, stock sold) or compensates a failed one, then answers as `place` does. A failure
   * that is not a definite answer (a timeout, a 5xx: the charge may have gone through) is checked against the
   * payment service first, so a customer who paid never gets a cancelled order.
   */
  async settle(attempt: Attempt, span: Span): Promise<Order> {
    if (attempt.kind === 'answered') return attempt.order
    const { order } = attempt
    const paymentId =
      attempt.kind === 'charged' ? attempt.paymentId : await this.chargedDespite(order.id, attempt.error)
    if (!paymentId) {
      const error = attempt.kind === 'failed' ? attempt.error : undefined
      this.checkpoint('before_compensation')
      await this.compensate(order.id, toAppError(error))
      span.setAttribute('order.status', 'cancelled')
      throw error
    }
    // Once the customer has paid, nothing is compensated and no deadline cuts the completion short: a failure here
    // leaves the order for recovery to complete.
    const completed = await withoutDeadline(() =>
      inSpan(this.deps.tracer, 'complete_order', { attributes: { 'order.id': order.id } }, () =>
        this.complete(order.id, paymentId),
      ),
    )
    // The order as stored (the same document every replay reads); read again only if another writer settled it first.
    const paid = completed ?? (await this.get(order.id))
    span.setAttribute('order.status', paid.status)
    return paid
  }

  /**
   * Resolves orders a crash left half-way (pending or reserved, untouched for `staleAfterMs`): completed if their
   * payment went through, else cancelled with their reservation released. Safe to run at any time, repeatedly.
   */
  async recover(staleAfterMs = DEFAULT_STALE_AFTER_MS): Promise<number> {
    const stale = await this.deps.db
      .select({ id: orders.id, status: orders.status })
      .from(orders)
      .where(and(inArray(orders.status, UNSETTLED), lt(orders.updatedAt, new Date(Date.now() - staleAfterMs))))
    for (const { id, status } of stale) {
      await inSpan(
        this.deps.tracer,
        'order_service.recover_order',
        { root: true, attributes: { 'order.id': id, 'order.status': status } },
        async (span) => {
          const payment = await this.deps.payment.findByOrder(id)
          span.setAttribute('payment.status', payment?.status ?? 'none')
          if (payment?.status === 'succeeded') {
            await this.complete(id, payment.id)
            span.setAttribute('order.status', 'paid')
          } else {
            await this.compensate(
              id,
              new AppError(503, 'upstream_unavailable', 'the order was interrupted and has been cancelled'),
            )
            span.setAttribute('order.status', 'cancelled')
          }
        },
      )
    }
    return stale.length
  }

  async get(id: string): Promise<Order> {
    const order = await this.findById(id)
    if (!order) throw new AppError(404, 'order_not_found', `order ${id} not found`)
    const { failure: _, ...answer } = order
    return answer
  }

  /** The order's payment id if it was charged although the saga saw `error`; never for a definite 4xx answer. */
  private async chargedDespite(orderId: string, error: unknown): Promise<string | undefined> {
    if (toAppError(error).status < 500) return undefined
    const payment = await withoutDeadline(() => this.deps.payment.findByOrder(orderId)).catch(() => undefined)
    return payment?.status === 'succeeded' ? payment.id : undefined
  }

  /** Marks the reserved stock sold, then the order paid, so a paid order always has its stock sold. */
  private async complete(orderId: string, paymentId: string): Promise<Order | undefined> {
    await this.deps.inventory.commit(orderId)
    return this.changeStatus(orderId, { status: 'paid', paymentId }, 'order.paid')
  }

  /**
   * Settles the order (paid or cancelled) and records the notification announcing it, in one transaction; returns
   * the settled order, the document the notification carries. An order already settled (by recovery, or a
   * concurrent completion) is left as it is and nothing is returned: settling is one-way.
   */
  private async changeStatus(
    id: string,
    fields: Partial<typeof orders.$inferInsert>,
    kind: NotificationKind,
  ): Promise<Order | undefined> {
    const { failure: _, ...current } = (await this.findById(id))!
    if (!UNSETTLED.includes(current.status)) return undefined
    const settled = orderDocument({
      ...current,
      status: fields.status ?? current.status,
      paymentId: fields.paymentId ?? current.paymentId,
    })
    const { db, outbox } = this.deps
    await db.batch([this.update(id, fields), outbox.record(id, kind, settled)])
    return settled
  }

  /**
   * Releases the order's stock and cancels it, free of the request's deadline (it must finish even when the
   * request ran out of time); the error is kept so a replay of the request answers the same.
   */
  private compensate(orderId: string, error: AppError): Promise<void> {
    return withoutDeadline(() =>
      inSpan(
        this.deps.tracer,
        'compensate_order',
        { attributes: { 'order.id': orderId, 'error.type': error.code } },
        async () => {
          await this.deps.inventory.release(orderId)
          await this.changeStatus(
            orderId,
            {
              status: 'cancelled',
              failureStatus: error.status,
              failureCode: error.code,
              failureMessage: error.message,
            },
            'order.cancelled',
          )
        },
      ),
    )
  }

  /**
   * The first answer to a request, given again: the order, or the error that cancelled it. A first request still
   * in flight is waited for (within the deadline), so concurrent repeats all get the same answer.
   */
  private async replay(earlier: StoredOrder): Promise<Order> {
    let order = earlier
    while (UNSETTLED.includes(order.status) && (timeLeft() ?? 0) > SETTLE_POLL_MS) {
      await sleep(SETTLE_POLL_MS)
      order = (await this.findById(order.id))!
    }
    const { failure, ...answer } = order
    if (failure) throw failure
    return answer
  }

  private checkpoint(step: SagaStep): void {
    const fault = this.deps.fault?.()
    if (fault?.kind === 'crash' && fault.step === step) this.deps.crash?.()
  }

  /** Inserts the order and its items in one batch; when the request id is already taken, finds that order instead. */
  private async record(request: PlaceOrder, priced: PricedItem[]): Promise<{ order: StoredOrder; created: boolean }> {
    const now = new Date()
    const id = crypto.randomUUID()
    const totalCents = priced.reduce((sum, item) => sum + toCents(item.unitPrice) * item.quantity, 0)
    const { db } = this.deps
    try {
      await db.batch([
        db.insert(orders).values({
          id,
          userId: request.userId,
          status: 'pending',
          totalCents,
          idempotencyKey: request.requestId,
          createdAt: now,
          updatedAt: now,
        }),
        db.insert(orderItems).values(
          priced.map((item) => ({
            orderId: id,
            productId: item.id,
            quantity: item.quantity,
            unitPriceCents: toCents(item.unitPrice),
          })),
        ),
      ])
    } catch (error) {
      // A concurrent request with the same id recorded its order first: that one is the answer.
      const earlier = request.requestId ? await this.findByRequestId(request.userId, request.requestId) : undefined
      if (earlier) return { order: earlier, created: false }
      throw error
    }
    const order = {
      id,
      userId: request.userId,
      items: priced,
      totalAmount: toAmount(totalCents),
      status: 'pending' as const,
      createdAt: now.toISOString(),
    }
    return { order, created: true }
  }

  private async findById(id: string): Promise<StoredOrder | undefined> {
    const row = await this.deps.db.query.orders.findFirst({ where: eq(orders.id, id) })
    return row && this.withItems(row)
  }

  private async findByRequestId(userId: string, requestId: string): Promise<StoredOrder | undefined> {
    const row = await this.deps.db.query.orders.findFirst({
      where: and(eq(orders.userId, userId), eq(orders.idempotencyKey, requestId)),
    })
    return row && this.withItems(row)
  }

  private async withItems(row: typeof orders.$inferSelect): Promise<StoredOrder> {
    // rowid keeps the items in the order the customer listed them.
    const items = await this.deps.db.select().from(orderItems).where(eq(orderItems.orderId, row.id)).orderBy(sql`rowid`)
    return {
      ...orderDocument({
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
      }),
      failure: row.failureCode
        ? new AppError(
            row.failureStatus as AppError['status'],
            row.failureCode as AppError['code'],
            row.failureMessage ?? '',
          )
        : undefined,
    }
  }

  /** Moves an unsettled order on; the guard keeps a late writer from reopening a paid or cancelled one. */
  private update(id: string, fields: Partial<typeof orders.$inferInsert>) {
    return this.deps.db
      .update(orders)
      .set({ ...fields, updatedAt: new Date() })
      .where(and(eq(orders.id, id), inArray(orders.status, UNSETTLED)))
  }
}

type StoredOrder = Order & { failure?: AppError }

/** An order in the one shape the API answers with (keys in this order, `paymentId` only once there is one). */
function orderDocument({ paymentId, ...order }: Order): Order {
  const { id, userId, items, totalAmount, status, createdAt } = order
  return { id, userId, items, totalAmount, status, ...(paymentId ? { paymentId } : {}), createdAt }
}
