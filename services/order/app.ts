import { z } from 'zod'
import { type AppBase, serviceApp } from '../../shared/app.ts'
import { withDeadline } from '../../shared/deadline.ts'
import { itemsSchema, validate } from '../../shared/validation.ts'
import { type BatchImport, batchDeadline } from './batch.ts'
import type { Orders } from './domain.ts'

export const placeOrderSchema = z.object({
  userId: z.string().min(1).max(128),
  items: itemsSchema,
  requestId: z.string().min(1).max(128).optional(),
})

export function createOrderApp({ orders, batch, ...base }: AppBase & { orders: Orders; batch: BatchImport }) {
  return (
    serviceApp(base)
      .post('/orders', validate('json', placeOrderSchema), async (c) =>
        c.json(await orders.place(c.req.valid('json')), 201),
      )
      // NDJSON, one order a line; the answer lists every order's outcome. Stops when the caller goes or time runs out.
      .post('/orders/batch', batchDeadline(base.env), async (c) =>
        c.json({ results: await batch.run(c.req.raw.body ?? new Blob().stream(), withDeadline(c.req.raw.signal)) }),
      )
      .get('/orders/:id', async (c) => c.json(await orders.get(c.req.param('id'))))
  )
}

export type OrderApp = ReturnType<typeof createOrderApp>
