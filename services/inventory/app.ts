import type { Tracer } from '@opentelemetry/api'
import { z } from 'zod'
import { serviceApp } from '../../shared/app.ts'
import { itemsSchema, validate } from '../../shared/validation.ts'
import type { Inventory } from './domain.ts'

const orderParam = z.object({ orderId: z.string().min(1).max(64) })

export function createInventoryApp({ inventory, tracer }: { inventory: Inventory; tracer: Tracer }) {
  return serviceApp(tracer)
    .get('/products', async (c) => c.json(await inventory.listProducts()))
    .post('/availability', validate('json', z.object({ items: itemsSchema })), async (c) =>
      c.json({ items: await inventory.checkAvailability(c.req.valid('json').items) }),
    )
    .post('/reservations', validate('json', z.object({ orderId: z.string().min(1).max(64), items: itemsSchema })), async (c) => {
      const { orderId, items } = c.req.valid('json')
      return c.json(await inventory.reserve(orderId, items), 201)
    })
    .post('/reservations/:orderId/release', validate('param', orderParam), async (c) =>
      c.json({ reservation: (await inventory.release(c.req.valid('param').orderId)) ?? null }),
    )
    .post('/reservations/:orderId/commit', validate('param', orderParam), async (c) =>
      c.json({ reservation: (await inventory.commit(c.req.valid('param').orderId)) ?? null }),
    )
}

export type InventoryApp = ReturnType<typeof createInventoryApp>
