import { beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { readFile } from 'node:fs/promises'
import { type BundleSize, FREE_PLAN_LIMIT_BYTES, measureBundles, WORKERS } from '../../bench/bundle-size.ts'
import { repositoryRoot } from '../support/environment.ts'

// Four `wrangler deploy --dry-run` builds take a while on two cores.
setDefaultTimeout(120_000)

interface WranglerConfig {
  name: string
  main: string
  compatibility_date: string
  compatibility_flags?: string[]
  workers_dev?: boolean
  preview_urls?: boolean
  route?: unknown
  routes?: unknown
  services?: { binding: string; service: string }[]
}

const configs = Object.fromEntries(
  await Promise.all(
    WORKERS.map(
      async (worker) =>
        [
          worker,
          Bun.TOML.parse(await readFile(`${repositoryRoot}wrangler/${worker}.toml`, 'utf8')) as WranglerConfig,
        ] as const,
    ),
  ),
)
const workerNamed = (name: string) => WORKERS.find((worker) => configs[worker]!.name === name)

describe('Worker configs', () => {
  test('every Worker runs its own entry with nodejs_compat (AsyncLocalStorage) on a fixed compatibility date', () => {
    for (const worker of WORKERS) {
      expect(configs[worker]).toMatchObject({
        main: `../services/${worker}/worker.ts`,
        compatibility_flags: ['nodejs_compat'],
      })
      expect(configs[worker]!.compatibility_date).toMatch(/^\d{4}-\d{2}-\d{2}$/)
    }
  })

  test('internal Workers cannot be reached from the internet: no route, no workers.dev, no preview URL', () => {
    for (const worker of ['order', 'inventory', 'payment'] as const) {
      expect(configs[worker]).toMatchObject({ workers_dev: false, preview_urls: false })
      expect(configs[worker]!.route ?? configs[worker]!.routes).toBeUndefined()
    }
  })

  test('service bindings: gateway → order and inventory, order → inventory and payment', () => {
    const bindings = (worker: (typeof WORKERS)[number]) =>
      Object.fromEntries(
        (configs[worker]!.services ?? []).map(({ binding, service }) => [binding, workerNamed(service)]),
      )
    expect(bindings('gateway')).toEqual({ ORDER: 'order', INVENTORY: 'inventory' })
    expect(bindings('order')).toEqual({ INVENTORY: 'inventory', PAYMENT: 'payment' })
    expect(bindings('inventory')).toEqual({})
    expect(bindings('payment')).toEqual({})
  })
})

describe('wrangler deploy --dry-run', () => {
  let sizes: BundleSize[]
  beforeAll(async () => {
    sizes = await measureBundles()
  })

  test('builds every Worker, each well under the Free plan limit, the telemetry a small part of it', () => {
    expect(sizes.map(({ worker }) => worker)).toEqual([...WORKERS])
    for (const { bytes, gzipBytes, telemetryBytes } of sizes) {
      expect(gzipBytes).toBeGreaterThan(0)
      expect(gzipBytes).toBeLessThan(FREE_PLAN_LIMIT_BYTES / 3)
      expect(telemetryBytes).toBeGreaterThan(0)
      expect(telemetryBytes).toBeLessThan(256 * 1024)
      expect(telemetryBytes).toBeLessThan(bytes / 4)
    }
  })
})
