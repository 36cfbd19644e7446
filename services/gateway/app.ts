import type { Context } from 'hono'
import { z } from 'zod'
import { type AppBase, MAX_BODY_BYTES, serviceApp } from '../../shared/app.ts'
import { AppError } from '../../shared/errors.ts'
import { validate } from '../../shared/validation.ts'
import { placeOrderSchema } from '../order/app.ts'
import { batchDeadline, MAX_BATCH_ORDERS } from '../order/batch.ts'
import type { Gateway } from './domain.ts'

const orderParam = z.object({ id: z.string().min(1).max(64) })
const idempotencyHeader = z.object({ 'idempotency-key': z.string().min(1).max(128).optional() })

/** The public API of design.md: products, placing an order, reading it back. */
export function createGatewayApp({ gateway, ...base }: AppBase & { gateway: Gateway }) {
  return serviceApp(base)
    .get('/api/products', async (c) => c.json(await gateway.listProducts()))
    .post('/api/orders', validate('header', idempotencyHeader), validate('json', placeOrderSchema), async (c) => {
      const body = c.req.valid('json')
      const requestId = c.req.valid('header')['idempotency-key'] ?? body.requestId
      return c.json(await gateway.placeOrder({ ...body, requestId }), 201)
    })
    .post('/api/orders/batch', batchDeadline(base.env), async (c) =>
      c.json({ results: await gateway.importBatch(await batchLines(c), c.req.raw.signal) }),
    )
    .get('/api/orders/:id', validate('param', orderParam), async (c) =>
      c.json(await gateway.getOrder(c.req.valid('param').id)),
    )
}

/**
 * The orders of a batch, one JSON document each: NDJSON (`application/x-ndjson`, one order a line) or a JSON array.
 * Each order is validated by the import itself, so one bad order fails alone; the batch as a whole is refused only
 * when it is not one of those two forms, empty, over `MAX_BATCH_ORDERS` orders or over the body cap.
 */
async function batchLines(c: Context): Promise<string[]> {
  const type = c.req.header('content-type') ?? ''
  const text = await c.req.text()
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

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    throw new AppError(400, 'invalid_request', 'the body is not JSON')
  }
}

export type GatewayApp = ReturnType<typeof createGatewayApp>
