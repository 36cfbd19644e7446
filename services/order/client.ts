import { hc } from 'hono/client'
import { type Upstream, unwrap } from '../../shared/client.ts'
import type { OrderApp } from './app.ts'
import type { BatchOutcome, Order, PlaceOrder } from './contract.ts'

/** The order service as its callers see it. */
export interface OrderApi {
  place(request: PlaceOrder): Promise<Order>
  /** Imports orders given as NDJSON lines; `signal` cancels the import (orders not yet recorded are not placed). */
  importBatch(ndjson: string, signal?: AbortSignal): Promise<BatchOutcome[]>
  get(id: string): Promise<Order>
}

export function createOrderClient({ baseUrl, fetch }: Upstream): OrderApi {
  const api = hc<OrderApp>(baseUrl, { fetch })
  return {
    place: (request) => unwrap('order', api.orders.$post({ json: request })),
    importBatch: async (ndjson, signal) => {
      const init = { body: ndjson, headers: { 'content-type': 'application/x-ndjson' }, signal }
      return (await unwrap<{ results: BatchOutcome[] }>('order', api.orders.batch.$post({}, { init }))).results
    },
    // Hono's client puts path parameters in as they are: encoded, no id can change the path it is sent to.
    get: (id) => unwrap('order', api.orders[':id'].$get({ param: { id: encodeURIComponent(id) } })),
  }
}
