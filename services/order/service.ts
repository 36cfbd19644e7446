import { drizzle } from 'drizzle-orm/libsql'
import { requireDatabase, type ServiceDefinition } from '../../shared/service.ts'
import { createInventoryClient } from '../inventory/client.ts'
import { createPaymentClient } from '../payment/client.ts'
import { createOrderApp } from './app.ts'
import { Orders } from './domain.ts'
import * as schema from './schema.ts'

export const orderService: ServiceDefinition = {
  name: 'order',
  migrations: 'drizzle/order',
  create(context) {
    const { tracer } = context.telemetry
    const orders = new Orders({
      db: drizzle(requireDatabase(context), { schema }),
      inventory: createInventoryClient(context.upstream('inventory')),
      payment: createPaymentClient(context.upstream('payment')),
      tracer,
    })
    return createOrderApp({ orders, tracer })
  },
}
