import type { Span, Tracer } from '@opentelemetry/api'
import { timeLeft } from '../../shared/deadline.ts'
import { AppError, toAppError } from '../../shared/errors.ts'
import type { Faults } from '../../shared/faults.ts'
import { inSpan } from '../../shared/telemetry/span.ts'
import { sleep } from '../../shared/time.ts'
import type { ItemRequest } from '../../shared/types.ts'
import { type Order, type PlaceOrder, placeOrderAttributes } from './contract.ts'
import type { Prechecks } from './prechecks.ts'
import type { Progress, Saga } from './saga.ts'
import { type OrderStore, orderDocument, type StoredOrder } from './store.ts'

export interface OrderDeps {
  store: OrderStore
  saga: Saga
  prechecks: Prechecks
  tracer: Tracer
  /** `fault.order=crash:after_record` ends the process once the order is recorded. */
  faults: Faults
  crash?: () => void
  /** Orders in progress a user may have at once (`ORDER_MAX_OPEN_ORDERS`). */
  maxOpenOrders: number
}

/**
 * An order still in progress this long after its last change was interrupted: recovery resolves it. Longer than a
 * batch's deadline (30 s) and the settling after it, so recovery never takes an order a request still works on.
 */
export const DEFAULT_STALE_AFTER_MS = 60_000

export const DEFAULT_MAX_OPEN_ORDERS = 5

/** How often a repeated request looks whether the first one has settled. */
const SETTLE_POLL_MS = 50

/** Where a request stands once it is recorded: answered already (a repeated request), or an order to take on. */
export type Begun = { kind: 'answered'; order: Order } | { kind: 'recorded'; order: StoredOrder }

/**
 * Orders: pre-checks (stock, user, prices), then the order recorded, then the saga (`saga.ts`) takes it to paid or
 * cancelled. A request, the batch import's stages and crash recovery all go through `Saga.resume`.
 */
export class Orders {
  constructor(private readonly deps: OrderDeps) {}

  place(request: PlaceOrder): Promise<Order> {
    const attributes = placeOrderAttributes(request)
    return inSpan(this.deps.tracer, 'order_service.create_order', { attributes }, async (span) => {
      const begun = await this.begin(request, span)
      if (begun.kind === 'answered') return begun.order
      return this.settle({ order: begun.order }, span)
    })
  }

  /**
   * Everything up to the order's record: a repeated request is answered (the first answer, once it is final), a new
   * one is checked and recorded. Throws when nothing was recorded (a failed pre-check, the user's open-order limit).
   * `signal` stops the pre-checks; once recorded, an order is always taken to its end. `span` is the order's span.
   */
  async begin(request: PlaceOrder, span: Span, signal?: AbortSignal): Promise<Begun> {
    const { tracer, prechecks } = this.deps
    const earlier = await this.earlierAnswer(request)
    if (earlier) return earlier

    const priced = await prechecks.run(request, signal)
    const recorded = await inSpan(tracer, 'create_order_record', {}, () => this.record(request, priced))
    span.setAttribute('order.id', recorded.order.id)
    if (recorded.kind === 'answered') return recorded
    span.setAttribute('order.total', recorded.order.totalAmount)
    const fault = this.deps.faults.of('order')
    if (fault?.kind === 'crash' && fault.step === 'after_record') this.deps.crash?.()
    return recorded
  }

  /** Goes forward with a recorded order, up to its charge or its first failure, without settling it. */
  advance(order: StoredOrder): Promise<Progress> {
    return this.deps.saga.resume({ order }, { settle: false })
  }

  /** Takes the order to its end and answers as `place` does: the paid order, or the error that cancelled it. */
  async settle(progress: Progress, span: Span): Promise<Order> {
    const { order, failure } = await this.deps.saga.resume(progress)
    span.setAttribute('order.status', order.status)
    if (order.status === 'paid') return orderDocument(order)
    if (order.status === 'cancelled') throw failureOf(order, order.failure ?? toAppError(failure))
    // A service did not answer while the order was being settled: recovery finishes it; the answer says why.
    throw failureOf(order, failure)
  }

  /**
   * Resolves orders a crash left half-way (still in progress, untouched for `staleAfterMs`) from where each stands:
   * completed if its payment went through, else cancelled with its reservation released. An order whose compensation
   * was interrupted keeps the error that started it. Safe to run at any time, repeatedly.
   */
  async recover(staleAfterMs = DEFAULT_STALE_AFTER_MS): Promise<number> {
    const { store, saga, tracer } = this.deps
    const interrupted = await store.interrupted(staleAfterMs)
    for (const order of interrupted) {
      const attributes = { 'order.id': order.id, 'order.status': order.status }
      await inSpan(tracer, 'order_service.recover_order', { root: true, attributes }, async (span) => {
        const failure =
          order.failure ?? new AppError(503, 'upstream_unavailable', 'the order was interrupted and has been cancelled')
        const settled = await saga.resume({ order, failure })
        span.setAttribute('order.status', settled.order.status)
      })
    }
    return interrupted.length
  }

  async get(id: string): Promise<Order> {
    const order = await this.deps.store.findById(id)
    if (!order) throw new AppError(404, 'order_not_found', `order ${id} not found`)
    return orderDocument(order)
  }

  /** Records the order, within the user's open-order limit; a request id taken meanwhile answers as a replay. */
  private async record(request: PlaceOrder, priced: Parameters<OrderStore['insert']>[1]): Promise<Begun> {
    const { store, maxOpenOrders } = this.deps
    let order: StoredOrder | undefined
    try {
      order = await store.insert(request, priced, maxOpenOrders)
    } catch (error) {
      // A concurrent request with the same id recorded its order first: that one is the answer.
      const earlier = await this.earlierAnswer(request)
      if (!earlier) throw error
      return earlier
    }
    if (!order) {
      // A request with the same key may be the order that filled the limit: then this is a replay.
      const earlier = await this.earlierAnswer(request)
      if (earlier) return earlier
      throw new AppError(403, 'user_not_allowed', `user ${request.userId} has ${maxOpenOrders} orders in progress`, {
        reason: 'too_many_open_orders',
        limit: maxOpenOrders,
      })
    }
    return { kind: 'recorded', order }
  }

  /** The answer of the order an earlier request with the same key recorded, if there is one (see `replay`). */
  private async earlierAnswer(request: PlaceOrder): Promise<Begun | undefined> {
    if (!request.requestId) return undefined
    const earlier = await this.deps.store.findByRequestId(request.userId, request.requestId)
    return earlier && { kind: 'answered', order: await this.replay(earlier, request) }
  }

  /**
   * The first answer to a request, given again: the paid order, or the error that cancelled it. A first request
   * still in flight is waited for within the deadline, then answered `409 request_in_progress`, never with an order
   * that is not final. The same key with other items is `422 idempotency_key_reused`.
   */
  private async replay(earlier: StoredOrder, request: PlaceOrder): Promise<Order> {
    if (!sameItems(earlier.items, request.items)) {
      throw new AppError(422, 'idempotency_key_reused', 'this idempotency key was used for another order', {
        orderId: earlier.id,
      })
    }
    let order = earlier
    while (!isFinal(order) && (timeLeft() ?? 0) > SETTLE_POLL_MS) {
      await sleep(SETTLE_POLL_MS)
      order = (await this.deps.store.findById(order.id))!
    }
    if (!isFinal(order)) {
      throw new AppError(409, 'request_in_progress', 'the first request with this key has not finished yet', {
        orderId: order.id,
      })
    }
    if (order.status === 'cancelled') {
      throw failureOf(order, order.failure ?? new AppError(503, 'upstream_unavailable', 'cancelled'))
    }
    return orderDocument(order)
  }
}

/**
 * The error answering for a recorded order that is not paid, naming it (`details.orderId`): the key stays with that
 * order, where an error without it stored nothing. An error that is no `AppError` (one the service did not mean,
 * while the order is settled) is left as it is, to be logged with its stack; a cancelled order's failure is always an
 * `AppError` (an unmeant one stored as `500 internal_error`, which the gateway answers as a 503).
 */
function failureOf(order: StoredOrder, error: unknown): unknown {
  if (!(error instanceof AppError)) return error
  return new AppError(error.status, error.code, error.message, { ...error.details, orderId: order.id })
}

const isFinal = (order: StoredOrder) => order.status === 'paid' || order.status === 'cancelled'

/** The same items in the same quantities, in any order. */
function sameItems(stored: ItemRequest[], requested: ItemRequest[]): boolean {
  const key = (items: ItemRequest[]) =>
    items
      .map((item) => `${item.id}\u0000${item.quantity}`)
      .sort()
      .join('\u0001')
  return key(stored) === key(requested)
}
