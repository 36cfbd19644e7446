import { type Tracer, trace } from '@opentelemetry/api'
import { and, count, eq, inArray } from 'drizzle-orm'
import { inParallel, inSequence, mapConcurrent, orAbort } from '../../shared/concurrency.ts'
import { AppError } from '../../shared/errors.ts'
import type { Fault } from '../../shared/faults.ts'
import { inSpan } from '../../shared/telemetry/span.ts'
import { sleep } from '../../shared/time.ts'
import { type ItemRequest, toAmount, toCents } from '../../shared/types.ts'
import type { InventoryApi } from '../inventory/client.ts'
import type { PricedItem } from '../inventory/domain.ts'
import type { OrderDb, PlaceOrder } from './domain.ts'
import { orders } from './schema.ts'

/** `parallel`: the checks run at once, so they take as long as the slowest; `sequential`: one after another (the seed). */
export type PrecheckMode = 'parallel' | 'sequential'

export interface PrecheckSettings {
  mode: PrecheckMode
  /** Users refused outright (`ORDER_USER_BLOCKLIST`). */
  blockedUsers: ReadonlySet<string>
  /** A user with this many orders still in progress is refused another (`ORDER_MAX_OPEN_ORDERS`). */
  maxOpenOrders: number
  /** How many items are priced at once (`ORDER_PRICE_CONCURRENCY`). */
  priceConcurrency: number
}

export const DEFAULT_PRECHECKS: PrecheckSettings = {
  mode: 'parallel',
  blockedUsers: new Set(),
  maxOpenOrders: 5,
  priceConcurrency: 4,
}

export interface PrecheckDeps {
  db: OrderDb
  inventory: InventoryApi
  tracer: Tracer
  settings: PrecheckSettings
  /** The fault asked of the user check for the active request (`fault.user=slow:<ms>`). */
  userFault?: () => Fault | undefined
}

/**
 * The checks an order passes before anything is written, independent of each other: stock (`check_inventory`), the
 * user (`validate_user`) and the price of each item (`calculate_price`). Either mode gives the same answer: in
 * parallel the failure reported is that of the first check in this order, as the sequential run would report it.
 * The stock check also answers prices; they are not used: prices come from the per-item pricing, the seed's
 * fan-out/fan-in (one `price_item` span per item), which is where a pricing rule (discounts, currency) belongs.
 */
export class Prechecks {
  constructor(private readonly deps: PrecheckDeps) {}

  /** The items priced from the catalogue, once every check has passed. */
  async run(request: PlaceOrder, signal?: AbortSignal): Promise<PricedItem[]> {
    const { tracer, inventory, settings } = this.deps
    const checks = [
      () =>
        inSpan(tracer, 'check_inventory', { attributes: { 'items.count': request.items.length } }, () =>
          orAbort(inventory.checkAvailability(request.items, signal), signal),
        ),
      () =>
        inSpan(tracer, 'validate_user', { attributes: { 'user.id': request.userId } }, () =>
          orAbort(this.validateUser(request.userId), signal),
        ),
      () => this.calculatePrice(request.items, signal),
    ] as const
    const [, , priced] = settings.mode === 'parallel' ? await inParallel(checks) : await inSequence(checks)
    return priced
  }

  /** Refuses a blocklisted user, or one with too many orders still in progress (`403 user_not_allowed`). */
  private async validateUser(userId: string): Promise<void> {
    const { db, settings } = this.deps
    const fault = this.deps.userFault?.()
    if (fault?.kind === 'slow') {
      trace.getActiveSpan()?.setAttribute('fault.injected', fault.value)
      await sleep(fault.ms)
    }
    if (settings.blockedUsers.has(userId)) {
      throw new AppError(403, 'user_not_allowed', `user ${userId} may not place orders`, { reason: 'blocklisted' })
    }
    const [open] = await db
      .select({ n: count() })
      .from(orders)
      .where(and(eq(orders.userId, userId), inArray(orders.status, ['pending', 'reserved'])))
    if ((open?.n ?? 0) >= settings.maxOpenOrders) {
      throw new AppError(403, 'user_not_allowed', `user ${userId} has ${open!.n} orders in progress already`, {
        reason: 'too_many_open_orders',
        openOrders: open!.n,
      })
    }
  }

  /**
   * Prices every item from the catalogue, a `price_item` span each, `priceConcurrency` at a time, in the order the
   * customer listed them. The first failure cancels the others: their spans end ERROR, `cancelled: …`.
   */
  private calculatePrice(items: ItemRequest[], signal?: AbortSignal): Promise<PricedItem[]> {
    const { tracer, inventory, settings } = this.deps
    return inSpan(tracer, 'calculate_price', { attributes: { 'items.count': items.length } }, async (span) => {
      const priced = await mapConcurrent(
        items,
        settings.priceConcurrency,
        (item, index, itemSignal) =>
          inSpan(
            tracer,
            'price_item',
            { attributes: { 'item.id': item.id, 'item.index': index, 'item.quantity': item.quantity } },
            async (itemSpan) => {
              const product = await orAbort(inventory.product(item.id, itemSignal), itemSignal)
              itemSpan.setAttribute('item.unit_price', product.price)
              return { ...item, unitPrice: product.price }
            },
          ),
        signal,
      )
      span.setAttribute(
        'order.total',
        toAmount(priced.reduce((sum, item) => sum + toCents(item.unitPrice) * item.quantity, 0)),
      )
      return priced
    })
  }
}
