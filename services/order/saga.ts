import { type Tracer, trace } from '@opentelemetry/api'
import { withOwnDeadline, withReserve } from '../../shared/deadline.ts'
import { AppError, toAppError } from '../../shared/errors.ts'
import type { Faults } from '../../shared/faults.ts'
import { inSpan } from '../../shared/telemetry/span.ts'
import type { InventoryApi } from '../inventory/client.ts'
import type { PaymentApi } from '../payment/client.ts'
import type { OrderStatus } from './contract.ts'
import type { NotificationKind } from './schema.ts'
import type { OrderStore, StoredOrder, TransitionFields } from './store.ts'

/** Points of the saga where a test can make the order service die (`fault.order=crash:<step>`). */
export type Checkpoint = 'after_record' | 'after_reserve' | 'after_payment' | 'before_compensation'

/** Time each settling step (void, complete, compensate) has, whatever is left of the request's deadline. */
export const SETTLE_DEADLINE_MS = 5000

/** What going forward leaves of the request's deadline for settling and answering before the caller gives up. */
export const SETTLE_RESERVE_MS = 300

export interface SagaDeps {
  store: OrderStore
  inventory: InventoryApi
  payment: PaymentApi
  tracer: Tracer
  /** `fault.order=crash:<checkpoint>` ends the process there. */
  faults: Faults
  /** Ends the process at once, as a crash would; runtimes without processes leave it out. */
  crash?: () => void
}

/** An order on its way, and the failure that stopped it going forward, if one did. */
export interface Progress {
  order: StoredOrder
  failure?: unknown
}

/** What a step's work found: fields to store with the new status, or another status than the step's usual one. */
interface Outcome {
  fields?: TransitionFields
  to?: OrderStatus
}

/** One step of the saga: the span its work runs in, the status it leads to, the crash point after it. */
interface Step {
  span: string
  to: OrderStatus
  run(order: StoredOrder): Promise<Outcome | undefined>
  /** The notification the new status announces, written in the same transaction. */
  notify?: NotificationKind
  checkpoint?: Checkpoint
}

type Unsettled = 'pending' | 'reserved' | 'completing' | 'cancelling'

/**
 * The order saga, as data: each status an order can be in names the step that moves it on.
 *
 *   pending ─reserve_inventory─▶ reserved ─create_payment─▶ completing ─complete_order─▶ paid
 *      │                            │                           ▲
 *      └──────── a failure ─────────┴─void_payment─▶ cancelling ─compensate_order─▶ cancelled
 *                                         (the charge went through: completing)
 *
 * Going forward stops at the first failure. Giving up is decided once, behind a fence: a reserved order first voids
 * its payment, so a charge still in flight can no longer succeed (the payment service refunds it if it does); if the
 * charge had already succeeded, the order is completed instead — a customer who paid never gets a cancelled order.
 * Each step is idempotent and every status change is conditional (`OrderStore.transition`), so a request, a batch
 * and crash recovery all call `resume` on whatever order they hold and never undo each other's work.
 */
export class Saga {
  private readonly steps: Record<Unsettled, Step>

  constructor(private readonly deps: SagaDeps) {
    const { inventory, payment } = deps
    this.steps = {
      pending: {
        span: 'reserve_inventory',
        to: 'reserved',
        run: async (order) => void (await inventory.reserve(order.id, order.items)),
        checkpoint: 'after_reserve',
      },
      reserved: {
        span: 'create_payment',
        to: 'completing',
        run: async (order) => {
          const charged = await payment.create(order.id, order.totalAmount)
          trace.getActiveSpan()?.setAttributes({ 'payment.id': charged.id, 'payment.status': charged.status })
          return { fields: { paymentId: charged.id } }
        },
        checkpoint: 'after_payment',
      },
      completing: { span: 'complete_order', to: 'paid', run: (order) => this.commitStock(order), notify: 'order.paid' },
      cancelling: {
        span: 'compensate_order',
        to: 'cancelled',
        run: async (order) => void (await inventory.release(order.id)),
        notify: 'order.cancelled',
      },
    }
  }

  /**
   * Takes the order from where it stands to `paid` or `cancelled`. With `settle: false` it only goes forward, up to
   * `completing` or the first failure (the batch import settles in a later stage). A settling step that cannot
   * finish (a service does not answer) leaves the order where it is, for recovery: the answer then says why.
   */
  async resume({ order, failure }: Progress, { settle = true } = {}): Promise<Progress> {
    for (;;) {
      const status = order.status
      if (status === 'paid' || status === 'cancelled') return { order, failure }
      const forward = (status === 'pending' || status === 'reserved') && failure === undefined
      if (!forward && !settle) return { order, failure }
      try {
        if (forward) order = await withReserve(SETTLE_RESERVE_MS, () => this.step(order, this.steps[status]))
        else if (status === 'pending' || status === 'reserved') order = await this.giveUp(order, failure)
        else order = await withOwnDeadline(SETTLE_DEADLINE_MS, () => this.step(order, this.steps[status]))
      } catch (error) {
        if (forward) failure = error
        else return { order, failure: failure ?? error }
      }
    }
  }

  /**
   * Runs the step and moves the order on, both in the step's span (the notification links back to it); answers the
   * order as it now stands, whoever moved it.
   */
  private async step(order: StoredOrder, step: Step): Promise<StoredOrder> {
    const attributes = { 'order.id': order.id }
    const next = await inSpan(this.deps.tracer, step.span, { attributes }, async () => {
      const { fields, to = step.to } = (await step.run(order)) ?? {}
      return this.move(order, to, fields, to === step.to ? step.notify : undefined)
    })
    this.checkpoint(step.checkpoint)
    return next
  }

  /**
   * The decision to stop, taken once: a reserved order voids its payment first (`void_payment`), and is completed
   * if the charge went through after all; otherwise it goes to `cancelling`, keeping the failure for replays.
   */
  private async giveUp(order: StoredOrder, failure: unknown): Promise<StoredOrder> {
    const next = await withOwnDeadline(SETTLE_DEADLINE_MS, async () => {
      if (order.status === 'reserved') {
        const attributes = { 'order.id': order.id }
        const payment = await inSpan(this.deps.tracer, 'void_payment', { attributes }, async (span) => {
          const voided = await this.deps.payment.void(order.id)
          span.setAttributes({ 'payment.id': voided.id, 'payment.status': voided.status })
          return voided
        })
        if (payment.status === 'succeeded') return this.move(order, 'completing', { paymentId: payment.id })
      }
      return this.move(order, 'cancelling', { failure: toAppError(failure) })
    })
    if (next.status === 'cancelling') this.checkpoint('before_compensation')
    return next
  }

  /**
   * Commits the order's reserved stock. A reservation no longer held (released behind the order's back) cannot be
   * sold: the charge is refunded and the order cancelled instead of completed without its stock.
   */
  private async commitStock(order: StoredOrder): Promise<Outcome | undefined> {
    try {
      await this.deps.inventory.commit(order.id)
      return undefined
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== 'reservation_closed') throw error
      await this.deps.payment.refund(order.id)
      trace.getActiveSpan()?.addEvent('payment.refunded', { reason: error.message })
      return { to: 'cancelling', fields: { failure: error } }
    }
  }

  /** `store.transition` from the order's current status; when another writer got there first, the order as it left it. */
  private async move(
    order: StoredOrder,
    to: OrderStatus,
    fields?: TransitionFields,
    notify?: NotificationKind,
  ): Promise<StoredOrder> {
    const { store } = this.deps
    const moved = await store.transition(order, order.status, to, fields, notify)
    return moved ?? (await store.findById(order.id))!
  }

  private checkpoint(step: Checkpoint | undefined): void {
    const fault = this.deps.faults.of('order')
    if (step && fault?.kind === 'crash' && fault.step === step) this.deps.crash?.()
  }
}
