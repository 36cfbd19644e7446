import type { Tracer } from '@opentelemetry/api'
import { inParallel, inSequence, orAbort } from '../../shared/concurrency.ts'
import { AppError } from '../../shared/errors.ts'
import type { Faults } from '../../shared/faults.ts'
import { inSpan } from '../../shared/telemetry/span.ts'
import { toAmount } from '../../shared/types.ts'
import type { InventoryApi } from '../inventory/client.ts'
import type { PricedItem } from '../inventory/contract.ts'
import { type PlaceOrder, totalCents } from './contract.ts'

/** `parallel`: the checks run at once, so they take as long as the slowest; `sequential`: one after another. */
export type PrecheckMode = 'parallel' | 'sequential'

export interface PrecheckSettings {
  mode: PrecheckMode
  /** Users refused outright (`ORDER_USER_BLOCKLIST`). */
  blockedUsers: ReadonlySet<string>
}

export interface PrecheckDeps {
  inventory: InventoryApi
  tracer: Tracer
  settings: PrecheckSettings
  /** `fault.user=slow:<ms>` slows the user check. */
  faults: Faults
}

/**
 * The checks an order passes before anything is written, independent of each other: stock (`check_inventory`) and
 * the user (`validate_user`). Either mode gives the same answer: in parallel the failure reported is that of the
 * first check in this order, as the sequential run would report it. Then the items are priced
 * (`calculate_price`) from the prices the stock check answered with: one call to the catalogue gives both, and a
 * `price_item` span each shows what each item came to.
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
    ] as const
    const [inStock] = settings.mode === 'parallel' ? await inParallel(checks) : await inSequence(checks)
    return this.calculatePrice(inStock)
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
   * The order's items at the catalogue's prices, a `price_item` span each, in the order the customer listed them:
   * where a pricing rule (a discount, a currency) would apply.
   */
  private calculatePrice(items: PricedItem[]): Promise<PricedItem[]> {
    const { tracer } = this.deps
    return inSpan(tracer, 'calculate_price', { attributes: { 'items.count': items.length } }, async (span) => {
      const priced = items.map(({ id, quantity, unitPrice }, index) => {
        const attributes = {
          'item.id': id,
          'item.index': index,
          'item.quantity': quantity,
          'item.unit_price': unitPrice,
        }
        tracer.startSpan('price_item', { attributes }).end()
        return { id, quantity, unitPrice }
      })
      span.setAttribute('order.total', toAmount(totalCents(priced)))
      return priced
    })
  }
}
