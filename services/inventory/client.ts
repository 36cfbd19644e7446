import { hc } from 'hono/client'
import { type JsonResponse, type Upstream, unwrap } from '../../shared/client.ts'
import type { ItemRequest } from '../../shared/types.ts'
import type { InventoryApp } from './app.ts'
import type { PricedItem, Product, Reservation } from './contract.ts'

/** The inventory service as its callers see it, over HTTP or a service binding. */
export interface InventoryApi {
  listProducts(): Promise<Product[]>
  /** `signal` abandons the call (the order gave up on it). */
  product(id: string, signal?: AbortSignal): Promise<Product>
  checkAvailability(items: ItemRequest[], signal?: AbortSignal): Promise<PricedItem[]>
  reserve(orderId: string, items: ItemRequest[]): Promise<Reservation>
  release(orderId: string): Promise<Reservation | null>
  /** `409 reservation_closed` when the order holds no reservation to commit. */
  commit(orderId: string): Promise<Reservation>
}

export function createInventoryClient({ baseUrl, fetch }: Upstream): InventoryApi {
  const api = hc<InventoryApp>(baseUrl, { fetch })
  const call = <T>(pending: Promise<JsonResponse>) => unwrap<T>('inventory', pending)
  return {
    listProducts: () => call(api.products.$get()),
    // Hono's client puts path parameters in as they are: an id is encoded so it can only name a product.
    product: (id, signal) =>
      call(api.products[':id'].$get({ param: { id: encodeURIComponent(id) } }, { init: { signal } })),
    checkAvailability: async (items, signal) =>
      (await call<{ items: PricedItem[] }>(api.availability.$post({ json: { items } }, { init: { signal } }))).items,
    reserve: (orderId, items) => call(api.reservations.$post({ json: { orderId, items } })),
    release: async (orderId) =>
      (
        await call<{ reservation: Reservation | null }>(
          api.reservations[':orderId'].release.$post({ param: { orderId: encodeURIComponent(orderId) } }),
        )
      ).reservation,
    commit: async (orderId) =>
      (
        await call<{ reservation: Reservation }>(
          api.reservations[':orderId'].commit.$post({ param: { orderId: encodeURIComponent(orderId) } }),
        )
      ).reservation,
  }
}
