import { drizzle } from 'drizzle-orm/libsql'
import { numberSetting } from '../../shared/config.ts'
import { activeFault } from '../../shared/faults.ts'
import { requireDatabase, type ServiceDefinition } from '../../shared/service.ts'
import { createInventoryClient } from '../inventory/client.ts'
import { createPaymentClient } from '../payment/client.ts'
import { createOrderApp } from './app.ts'
import { DEFAULT_STALE_AFTER_MS, Orders } from './domain.ts'
import * as schema from './schema.ts'

export const orderService: ServiceDefinition = {
  name: 'order',
  migrations: 'drizzle/order',
  create(context) {
    const { tracer } = context.telemetry
    const { env } = context
    const orders = new Orders({
      db: drizzle(requireDatabase(context), { schema }),
      inventory: createInventoryClient(context.upstream('inventory')),
      payment: createPaymentClient(context.upstream('payment')),
      tracer,
      fault: () => activeFault(env, 'order'),
      crash: context.crash,
    })
    const app = createOrderApp({ orders, telemetry: context.telemetry, env })
    return {
      fetch: app.fetch,
      sweep: () => orders.recover(numberSetting(env, 'ORDER_STALE_AFTER_MS', DEFAULT_STALE_AFTER_MS)),
      sweepEveryMs: numberSetting(env, 'ORDER_RECOVERY_INTERVAL_MS', 15_000),
    }
  },
}
