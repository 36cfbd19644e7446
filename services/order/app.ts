import { type AppBase, serviceApp } from '../../shared/app.ts'
import { withDeadline } from '../../shared/deadline.ts'
import { validate } from '../../shared/validation.ts'
import type { BatchImport } from './batch.ts'
import { batchDeadline, orderIdFrom, placeOrderSchema } from './contract.ts'
import type { Orders } from './domain.ts'

export function createOrderApp({ orders, batch, ...base }: AppBase & { orders: Orders; batch: BatchImport }) {
  return (
    serviceApp(base, 'internal')
      .post('/orders', validate('json', placeOrderSchema), async (c) =>
        c.json(await orders.place(c.req.valid('json')), 201),
      )
      // NDJSON, one order a line; the answer lists every order's outcome. Stops when the caller goes or time runs out.
      .post('/orders/batch', batchDeadline(base.env, { fromCaller: true }), async (c) =>
        c.json({
          results: await batch.run(c.req.raw.body ?? new Blob().stream(), withDeadline(c.req.raw.signal)),
        }),
      )
      .get('/orders/:id', async (c) => c.json(await orders.get(orderIdFrom(c.req.param('id')))))
  )
}

export type OrderApp = ReturnType<typeof createOrderApp>
