import { z } from 'zod'
import { type AppBase, serviceApp } from '../../shared/app.ts'
import { itemsSchema, validate } from '../../shared/validation.ts'
import type { Orders } from './domain.ts'

export const placeOrderSchema = z.object({
  userId: z.string().min(1).max(128),
  items: itemsSchema,
  requestId: z.string().min(1).max(128).optional(),
})

export function createOrderApp({ orders, ...base }: AppBase & { orders: Orders }) {
  return serviceApp(base)
    .post('/orders', validate('json', placeOrderSchema), async (c) => c.json(await orders.place(c.req.valid('json')), 201))
    .get('/orders/:id', async (c) => c.json(await orders.get(c.req.param('id'))))
}

export type OrderApp = ReturnType<typeof createOrderApp>
