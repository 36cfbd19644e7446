import { type AppBase, serviceApp } from '../../shared/app.ts'
import { validate } from '../../shared/validation.ts'
import { availabilityRequest, orderParam, productParam, reservationRequest } from './contract.ts'
import type { Inventory } from './domain.ts'

export function createInventoryApp({ inventory, ...base }: AppBase & { inventory: Inventory }) {
  return serviceApp(base, 'internal')
    .get('/products', async (c) => c.json(await inventory.listProducts()))
    .get('/products/:id', validate('param', productParam), async (c) =>
      c.json(await inventory.product(c.req.valid('param').id)),
    )
    .post('/availability', validate('json', availabilityRequest), async (c) =>
      c.json({ items: await inventory.checkAvailability(c.req.valid('json').items) }),
    )
    .post('/reservations', validate('json', reservationRequest), async (c) => {
      const { orderId, items } = c.req.valid('json')
      return c.json(await inventory.reserve(orderId, items), 201)
    })
    .post('/reservations/:orderId/release', validate('param', orderParam), async (c) =>
      c.json({ reservation: (await inventory.release(c.req.valid('param').orderId)) ?? null }),
    )
    .post('/reservations/:orderId/commit', validate('param', orderParam), async (c) =>
      c.json({ reservation: await inventory.commit(c.req.valid('param').orderId) }),
    )
}

export type InventoryApp = ReturnType<typeof createInventoryApp>
