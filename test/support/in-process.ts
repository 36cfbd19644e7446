import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Client } from '@libsql/client'
import { openDatabase } from '../../runtime/database.ts'
import { gatewayService } from '../../services/gateway/service.ts'
import { inventoryService } from '../../services/inventory/service.ts'
import { orderService } from '../../services/order/service.ts'
import { paymentService } from '../../services/payment/service.ts'
import { upstreamFetch } from '../../shared/client.ts'
import type { ServiceName } from '../../shared/config.ts'
import type { ServiceDefinition, ServiceInstance } from '../../shared/service.ts'
import { tracedDatabase } from '../../shared/telemetry/db.ts'
import type { Fetch } from '../../shared/telemetry/fetch.ts'
import { captureTelemetry } from './capture.ts'
import type { FlatSpan } from './otlp-json.ts'

type ShopService = Exclude<ServiceName, 'collector'>
const definitions: Record<ShopService, ServiceDefinition> = {
  gateway: gatewayService,
  order: orderService,
  inventory: inventoryService,
  payment: paymentService,
}

/**
 * The four services in one process with real libSQL files, talking through `app.fetch` instead of sockets.
 * `interpose` can replace how one service reaches another (a service that is down, a request that races).
 */
export async function inProcessShop(
  options: {
    env?: Record<string, string>
    interpose?: Partial<Record<ShopService, (next: Fetch) => Fetch>>
    /** A service built otherwise, e.g. payment charging through a provider the test holds. */
    services?: Partial<Record<ShopService, ServiceDefinition>>
  } = {},
) {
  const dir = await mkdtemp(join(tmpdir(), 'shop-'))
  const env = { FAULTS: 'on', PAYMENT_PROVIDER_LATENCY_MS: '1', SERVICE_TOKEN: crypto.randomUUID(), ...options.env }
  const apps = {} as Record<ShopService, ServiceInstance>
  const databases = {} as Record<string, Client>
  const captures = [] as ReturnType<typeof captureTelemetry>[]
  const direct =
    (name: ShopService): Fetch =>
    async (input, init) =>
      apps[name].fetch(new Request(input, init))

  for (const [name, definition] of Object.entries({ ...definitions, ...options.services }) as [
    ShopService,
    ServiceDefinition,
  ][]) {
    const capture = captureTelemetry(name)
    captures.push(capture)
    const { tracer } = capture.telemetry
    const url = `file:${dir}/${name}.db`
    if (definition.migrations) databases[name] = await openDatabase(url, definition.migrations)
    apps[name] = definition.create({
      env,
      telemetry: capture.telemetry,
      database: databases[name] && tracedDatabase(tracer, databases[name], url),
      upstream: (upstream) => {
        const base = direct(upstream as ShopService)
        return {
          baseUrl: `http://${upstream}.internal`,
          fetch: upstreamFetch(tracer, options.interpose?.[upstream as ShopService]?.(base) ?? base, env.SERVICE_TOKEN),
        }
      },
    })
  }

  return {
    apps,
    /** A request straight to an internal service, with the services' credential, as another service sends it. */
    internal(name: ShopService, request: Request) {
      const withCredential = new Request(request)
      withCredential.headers.set('authorization', `Bearer ${env.SERVICE_TOKEN}`)
      return apps[name].fetch(withCredential)
    },
    databases: databases as Record<'order' | 'inventory' | 'payment', Client>,
    /** A request to the gateway, as a user sends it. */
    request: (path: string, init?: RequestInit) =>
      apps.gateway.fetch(new Request(`http://gateway.internal${path}`, init)),
    /** Runs a service's background task `name` once, as the runtime's timer would. */
    runTask: (name: string, service: ShopService = 'order') =>
      apps[service].tasks!.find((task) => task.name === name)!.run(),
    /** Posts a batch of orders to the gateway as NDJSON. */
    importBatch: (orders: unknown[], headers: Record<string, string> = {}, signal?: AbortSignal) =>
      apps.gateway.fetch(
        new Request('http://gateway.internal/api/orders/batch', {
          method: 'POST',
          headers: { 'content-type': 'application/x-ndjson', ...headers },
          body: orders.map((order) => JSON.stringify(order)).join('\n'),
          signal,
        }),
      ),
    placeOrder: (body: unknown, headers: Record<string, string> = {}) =>
      apps.gateway.fetch(
        new Request('http://gateway.internal/api/orders', {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify(body),
        }),
      ),
    async spans(): Promise<FlatSpan[]> {
      return (await Promise.all(captures.map((capture) => capture.spans()))).flat()
    },
    async stock(id: string): Promise<number> {
      const result = await databases.inventory!.execute({
        sql: 'select available from products where id = ?',
        args: [id],
      })
      return Number(result.rows[0]!.available)
    },
    async setStock(id: string, available: number): Promise<void> {
      await databases.inventory!.execute({
        sql: 'update products set available = ? where id = ?',
        args: [available, id],
      })
    },
    async count(database: 'order' | 'inventory' | 'payment', sql: string, args: unknown[] = []): Promise<number> {
      const result = await databases[database]!.execute({
        sql: `select count(*) as n from (${sql})`,
        args: args as never,
      })
      return Number(result.rows[0]!.n)
    },
  }
}

export type InProcessShop = Awaited<ReturnType<typeof inProcessShop>>
