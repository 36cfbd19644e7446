import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Client, createClient } from '@libsql/client'

export const repositoryRoot = new URL('../../', import.meta.url).pathname

/** Free ports (a random block, away from the dev defaults) and a fresh data folder for one system under test. */
export async function freshEnvironment(label: string) {
  // Eight: the four services, the collector, and one local sqld per database (SQLD_PORT and the two after it).
  const base = freePortBlock(8)
  const ports = {
    gateway: base,
    order: base + 1,
    inventory: base + 2,
    payment: base + 3,
    collector: base + 4,
    sqld: base + 5,
  }
  const dataDir = await mkdtemp(join(tmpdir(), `shop-${label}-`))
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    FAULTS: 'on',
    GATEWAY_PORT: String(ports.gateway),
    ORDER_PORT: String(ports.order),
    INVENTORY_PORT: String(ports.inventory),
    PAYMENT_PORT: String(ports.payment),
    COLLECTOR_PORT: String(ports.collector),
    SQLD_PORT: String(ports.sqld),
    OTEL_BSP_SCHEDULE_DELAY: '100',
    SERVICE_TOKEN: crypto.randomUUID(),
  }
  return {
    ports,
    dataDir,
    env,
    gateway: `http://127.0.0.1:${ports.gateway}`,
    /** The service's database, read as the service wrote it. */
    database: (name: 'order' | 'inventory' | 'payment') => createClient({ url: `file:${dataDir}/${name}.db` }),
  }
}

/** The rows a query of a service's database answers. */
export async function rows(db: Client, sql: string, args: (string | number)[] = []) {
  return (await db.execute({ sql, args })).rows
}

/** Places an order through the gateway at `gateway`. */
export function placeOrder(gateway: string, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal) {
  return fetch(`${gateway}/api/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal,
  })
}

export async function waitUntil(
  done: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  stepMs = 50,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await done()) return true
    await Bun.sleep(stepMs)
  }
  return done()
}

/**
 * A block of `size` consecutive ports that are free now, below Linux's ephemeral range (32768+) so outgoing
 * connections do not take them meanwhile.
 */
function freePortBlock(size: number): number {
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * 1200) * 10
    const ports = Array.from({ length: size }, (_, i) => base + i)
    if (ports.every(isFree)) return base
  }
}

function isFree(port: number): boolean {
  try {
    Bun.serve({ port, hostname: '0.0.0.0', fetch: () => new Response() }).stop(true)
    return true
  } catch {
    return false
  }
}
