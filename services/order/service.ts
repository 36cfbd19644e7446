import { drizzle } from 'drizzle-orm/libsql'
import { numberSetting } from '../../shared/config.ts'
import { activeFault } from '../../shared/faults.ts'
import { requireDatabase, type ServiceDefinition } from '../../shared/service.ts'
import { tracedFetch } from '../../shared/telemetry/fetch.ts'
import { createInventoryClient } from '../inventory/client.ts'
import { createPaymentClient } from '../payment/client.ts'
import { createOrderApp } from './app.ts'
import { BatchImport } from './batch.ts'
import { DEFAULT_STALE_AFTER_MS, Orders } from './domain.ts'
import { logSink, Outbox, webhookSink } from './outbox.ts'
import { DEFAULT_PRECHECKS, Prechecks } from './prechecks.ts'
import * as schema from './schema.ts'

export const orderService: ServiceDefinition = {
  name: 'order',
  migrations: 'drizzle/order',
  create(context) {
    const { tracer } = context.telemetry
    const { env } = context
    const db = drizzle(requireDatabase(context), { schema })
    const inventory = createInventoryClient(context.upstream('inventory'))
    const webhook = env.NOTIFY_WEBHOOK_URL
    const outbox = new Outbox({
      db,
      tracer,
      sink: webhook
        ? webhookSink(
            webhook,
            tracedFetch(tracer, fetch, { external: true }),
            numberSetting(env, 'NOTIFY_TIMEOUT_MS', 5000),
          )
        : logSink,
    })
    const prechecks = new Prechecks({
      db,
      inventory,
      tracer,
      settings: {
        mode: env.ORDER_PRECHECKS === 'sequential' ? 'sequential' : 'parallel',
        blockedUsers: new Set(
          (env.ORDER_USER_BLOCKLIST ?? '')
            .split(',')
            .map((user) => user.trim())
            .filter(Boolean),
        ),
        maxOpenOrders: numberSetting(env, 'ORDER_MAX_OPEN_ORDERS', DEFAULT_PRECHECKS.maxOpenOrders),
        priceConcurrency: Math.max(
          1,
          numberSetting(env, 'ORDER_PRICE_CONCURRENCY', DEFAULT_PRECHECKS.priceConcurrency),
        ),
      },
      userFault: () => activeFault(env, 'user'),
    })
    const orders = new Orders({
      db,
      inventory,
      payment: createPaymentClient(context.upstream('payment')),
      prechecks,
      outbox,
      tracer,
      fault: () => activeFault(env, 'order'),
      crash: context.crash,
    })
    const app = createOrderApp({
      orders,
      batch: new BatchImport({ orders, tracer }),
      telemetry: context.telemetry,
      env,
    })
    return {
      fetch: app.fetch,
      tasks: [
        {
          name: 'order recovery',
          run: () => orders.recover(numberSetting(env, 'ORDER_STALE_AFTER_MS', DEFAULT_STALE_AFTER_MS)),
          everyMs: numberSetting(env, 'ORDER_RECOVERY_INTERVAL_MS', 15_000),
        },
        {
          name: 'outbox delivery',
          run: () => outbox.deliver(),
          everyMs: numberSetting(env, 'NOTIFY_INTERVAL_MS', 1000),
        },
      ],
    }
  },
}
