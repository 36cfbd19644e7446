import { z } from 'zod'
import { type AppBase, serviceApp } from '../../shared/app.ts'
import { validate } from '../../shared/validation.ts'
import { placeOrderSchema } from '../order/app.ts'
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
    .get('/api/orders/:id', validate('param', orderParam), async (c) => c.json(await gateway.getOrder(c.req.valid('param').id)))
}

export type GatewayApp = ReturnType<typeof createGatewayApp>
