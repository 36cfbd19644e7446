import { drizzle } from 'drizzle-orm/libsql'
import { numberSetting } from '../../shared/config.ts'
import { faultsFrom } from '../../shared/faults.ts'
import { requireDatabase, type ServiceDefinition } from '../../shared/service.ts'
import { tracedFetch } from '../../shared/telemetry/fetch.ts'
import { createInventoryClient } from '../inventory/client.ts'
import { createPaymentClient } from '../payment/client.ts'
import { createOrderApp } from './app.ts'
import { BatchImport } from './batch.ts'
import { DEFAULT_MAX_OPEN_ORDERS, DEFAULT_STALE_AFTER_MS, Orders } from './domain.ts'
import { logSink, Outbox, webhookSink } from './outbox.ts'
import { Prechecks } from './prechecks.ts'
import { Saga, SETTLE_DEADLINE_MS } from './saga.ts'
import * as schema from './schema.ts'
import { OrderStore } from './store.ts'

export const orderService: ServiceDefinition = {
  name: 'order',
  migrations: 'drizzle/order',
  create(context) {
    const { env, telemetry, crash } = context
    const { tracer } = telemetry
    const db = drizzle(requireDatabase(context), { schema })
    const faults = faultsFrom(env)
    const inventory = createInventoryClient(context.upstream('inventory'))
    const payment = createPaymentClient(context.upstream('payment'))
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
    const store = new OrderStore({ db, outbox })
    const prechecks = new Prechecks({
      inventory,
      tracer,
      faults,
      settings: {
        mode: env.ORDER_PRECHECKS === 'sequential' ? 'sequential' : 'parallel',
        blockedUsers: new Set(
          (env.ORDER_USER_BLOCKLIST ?? '')
            .split(',')
            .map((user) => user.trim())
            .filter(Boolean),
        ),
      },
    })
    const orders = new Orders({
      store,
      saga: new Saga({ store, inventory, payment, tracer, faults, crash }),
      prechecks,
      tracer,
      faults,
      crash,
      maxOpenOrders: numberSetting(env, 'ORDER_MAX_OPEN_ORDERS', DEFAULT_MAX_OPEN_ORDERS),
    })
    const app = createOrderApp({ orders, batch: new BatchImport({ orders, tracer }), telemetry, env })
    const staleAfterMs = numberSetting(env, 'ORDER_STALE_AFTER_MS', DEFAULT_STALE_AFTER_MS)
    const longestWork =
      Math.max(numberSetting(env, 'REQUEST_DEADLINE_MS', 5000), numberSetting(env, 'BATCH_DEADLINE_MS', 30_000)) +
      3 * SETTLE_DEADLINE_MS
    if (staleAfterMs < longestWork) {
      console.warn(
        `ORDER_STALE_AFTER_MS=${staleAfterMs} is below the ${longestWork} ms a request may work on an order: recovery ` +
          'may cancel orders still in progress (no money is lost: their payment is voided first)',
      )
    }
    return {
      fetch: app.fetch,
      tasks: [
        {
          name: 'order recovery',
          run: () => orders.recover(staleAfterMs),
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
