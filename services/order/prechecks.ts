import type { Tracer } from '@opentelemetry/api'
import { inParallel, inSequence, mapConcurrent, orAbort } from '../../shared/concurrency.ts'
import { AppError } from '../../shared/errors.ts'
import type { Faults } from '../../shared/faults.ts'
import { inSpan } from '../../shared/telemetry/span.ts'
import { type ItemRequest, toAmount } from '../../shared/types.ts'
import type { InventoryApi } from '../inventory/client.ts'
import type { PricedItem } from '../inventory/contract.ts'
import { type PlaceOrder, totalCents } from './contract.ts'

/** `parallel`: the checks run at once, so they take as long as the slowest; `sequential`: one after another. */
export type PrecheckMode = 'parallel' | 'sequential'

export interface PrecheckSettings {
  mode: PrecheckMode
  /** Users refused outright (`ORDER_USER_BLOCKLIST`). */
  blockedUsers: ReadonlySet<string>
  /** How many items are priced at once (`ORDER_PRICE_CONCURRENCY`). */
  priceConcurrency: number
}

export const DEFAULT_PRECHECKS: PrecheckSettings = {
  mode: 'parallel',
  blockedUsers: new Set(),
  priceConcurrency: 4,
}

export interface PrecheckDeps {
  inventory: InventoryApi
  tracer: Tracer
  settings: PrecheckSettings
  /** `fault.user=slow:<ms>` slows the user check. */
  faults: Faults
}

/**
 * The checks an order passes before anything is written, independent of each other: stock (`check_inventory`), the
 * user (`validate_user`) and the price of each item (`calculate_price`). Either mode gives the same answer: in
 * parallel the failure reported is that of the first check in this order, as the sequential run would report it.
 * The stock check also answers prices; they are not used: prices come from the per-item pricing, a
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

  /**
   * Refuses a blocklisted user (`403 user_not_allowed`). The limit of orders in progress is held where the order is
   * recorded, in the same statement, so concurrent orders cannot all slip under it.
   */
  private async validateUser(userId: string): Promise<void> {
    await this.deps.faults.slowDown('user')
    if (this.deps.settings.blockedUsers.has(userId)) {
      throw new AppError(403, 'user_not_allowed', `user ${userId} may not place orders`, { reason: 'blocklisted' })
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
      span.setAttribute('order.total', toAmount(totalCents(priced)))
      return priced
    })
  }
}
