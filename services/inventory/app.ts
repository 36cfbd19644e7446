import { z } from 'zod'
import { type AppBase, serviceApp } from '../../shared/app.ts'
import { activeFault } from '../../shared/faults.ts'
import { itemsSchema, validate } from '../../shared/validation.ts'
import type { Inventory } from './domain.ts'

const orderParam = z.object({ orderId: z.string().min(1).max(64) })

export function createInventoryApp({ inventory, ...base }: AppBase & { inventory: Inventory }) {
  return serviceApp(base)
    .get('/products', async (c) => c.json(await inventory.listProducts()))
    .get('/products/:id', validate('param', z.object({ id: z.string().min(1).max(64) })), async (c) =>
      c.json(await inventory.product(c.req.valid('param').id, activeFault(base.env, 'inventory'))),
    )
    .post('/availability', validate('json', z.object({ items: itemsSchema })), async (c) =>
      c.json({
        items: await inventory.checkAvailability(c.req.valid('json').items, activeFault(base.env, 'inventory')),
      }),
    )
    .post(
      '/reservations',
      validate('json', z.object({ orderId: z.string().min(1).max(64), items: itemsSchema })),
      async (c) => {
        const { orderId, items } = c.req.valid('json')
        return c.json(await inventory.reserve(orderId, items, activeFault(base.env, 'inventory')), 201)
      },
    )
    .post('/reservations/:orderId/release', validate('param', orderParam), async (c) =>
      c.json({ reservation: (await inventory.release(c.req.valid('param').orderId)) ?? null }),
    )
    .post('/reservations/:orderId/commit', validate('param', orderParam), async (c) =>
      c.json({ reservation: (await inventory.commit(c.req.valid('param').orderId)) ?? null }),
    )
}

export type InventoryApp = ReturnType<typeof createInventoryApp>
