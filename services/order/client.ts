import { hc } from 'hono/client'
import { unwrap, type Upstream } from '../../shared/client.ts'
import type { OrderApp } from './app.ts'
import type { Order, PlaceOrder } from './domain.ts'

/** The order service as its callers see it. */
export interface OrderApi {
  place(request: PlaceOrder): Promise<Order>
  get(id: string): Promise<Order>
}

export function createOrderClient({ baseUrl, fetch }: Upstream): OrderApi {
  const api = hc<OrderApp>(baseUrl, { fetch })
  return {
    place: (request) => unwrap('order', api.orders.$post({ json: request })),
    get: (id) => unwrap('order', api.orders[':id'].$get({ param: { id } })),
  }
}
