import type { Tracer } from '@opentelemetry/api'
import { inSpan } from '../../shared/telemetry/span.ts'
import type { InventoryApi } from '../inventory/client.ts'
import type { Product } from '../inventory/contract.ts'
import type { OrderApi } from '../order/client.ts'
import { type BatchOutcome, type Order, type PlaceOrder, placeOrderAttributes } from '../order/contract.ts'

/** The shop's public face: it validates nothing itself (the routes do) and owns no data. */
export class Gateway {
  constructor(private readonly deps: { orders: OrderApi; inventory: InventoryApi; tracer: Tracer }) {}

  listProducts(): Promise<Product[]> {
    return this.deps.inventory.listProducts()
  }

  /** One product, its price and stock now; `404 unknown_item` if the catalogue does not have it. */
  getProduct(id: string): Promise<Product> {
    return this.deps.inventory.product(id)
  }

  placeOrder(request: PlaceOrder): Promise<Order> {
    const attributes = placeOrderAttributes(request)
    return inSpan(this.deps.tracer, 'api_gateway.create_order', { attributes }, async (span) => {
      const order = await this.deps.orders.place(request)
      span.setAttributes({ 'order.id': order.id, 'order.status': order.status, 'order.total': order.totalAmount })
      return order
    })
  }

  /** Forwards a batch (one JSON order a line) to the order service's import; `signal` is the client's. */
  importBatch(lines: string[], signal: AbortSignal): Promise<BatchOutcome[]> {
    const attributes = { 'batch.size': lines.length }
    return inSpan(this.deps.tracer, 'api_gateway.import_batch', { attributes }, async (span) => {
      const outcomes = await this.deps.orders.importBatch(lines.join('\n'), signal)
      span.setAttribute('batch.paid', outcomes.filter((outcome) => outcome.status === 'paid').length)
      return outcomes
    })
  }

  getOrder(id: string): Promise<Order> {
    return this.deps.orders.get(id)
  }
}
