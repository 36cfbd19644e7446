import type { Context } from 'hono'
import { type AppBase, MAX_BODY_BYTES, serviceApp } from '../../shared/app.ts'
import { AppError } from '../../shared/errors.ts'
import { bodyText, parseJson, validate } from '../../shared/validation.ts'
import { productParam } from '../inventory/contract.ts'
import { batchDeadline, idempotencyHeader, MAX_BATCH_ORDERS, orderIdFrom, placeOrderSchema } from '../order/contract.ts'
import type { Gateway } from './domain.ts'

/** The shop's public API: the catalogue and a product's page, placing an order (or a batch of them), reading one back. */
export function createGatewayApp({ gateway, ...base }: AppBase & { gateway: Gateway }) {
  return serviceApp(base, 'public')
    .get('/api/products', async (c) => c.json(await gateway.listProducts()))
    .get('/api/products/:id', validate('param', productParam), async (c) =>
      c.json(await gateway.getProduct(c.req.valid('param').id)),
    )
    .post('/api/orders', validate('header', idempotencyHeader), validate('json', placeOrderSchema), async (c) => {
      const body = c.req.valid('json')
      const requestId = c.req.valid('header')['idempotency-key'] ?? body.requestId
      return c.json(await gateway.placeOrder({ ...body, requestId }), 201)
    })
    .post('/api/orders/batch', batchDeadline(base.env, { fromCaller: false }), async (c) =>
      c.json({ results: await gateway.importBatch(await batchLines(c), c.req.raw.signal) }),
    )
    .get('/api/orders/:id', async (c) => c.json(await gateway.getOrder(orderIdFrom(c.req.param('id')))))
}

/**
 * The orders of a batch, one JSON document each: NDJSON (`application/x-ndjson`, one order a line) or a JSON array.
 * Each order is validated by the import itself, so one bad order fails alone; the batch as a whole is refused only
 * when it is not one of those two forms, empty, over `MAX_BATCH_ORDERS` orders or over the body cap.
 */
async function batchLines(c: Context): Promise<string[]> {
  const type = c.req.header('content-type') ?? ''
  const text = await bodyText(c)
  let lines: string[]
  if (/^application\/(x-)?ndjson\s*(;|$)/i.test(type)) {
    lines = text.split('\n').filter((line) => line.trim())
  } else if (/^application\/json\s*(;|$)/i.test(type)) {
    const orders = parseJson(text)
    if (!Array.isArray(orders)) throw new AppError(400, 'invalid_request', 'a JSON batch is an array of orders')
    lines = orders.map((order) => JSON.stringify(order))
  } else {
    throw new AppError(
      400,
      'invalid_request',
      'send the batch as application/x-ndjson (one order a line) or as a JSON array',
    )
  }
  if (lines.length === 0) throw new AppError(400, 'invalid_request', 'the batch has no orders')
  if (lines.length > MAX_BATCH_ORDERS) {
    throw new AppError(
      400,
      'invalid_request',
      `at most ${MAX_BATCH_ORDERS} orders a batch (and ${MAX_BODY_BYTES / 1024} KiB), got ${lines.length}`,
    )
  }
  return lines
}

export type GatewayApp = ReturnType<typeof createGatewayApp>
