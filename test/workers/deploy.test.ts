import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
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

type Worker = (typeof WORKERS)[number]

/**
 * Each Worker's budget: 150 KiB gzip (as `measureBundles` gzips `worker.js`, within 0.5 KiB of the `gzip:` figure
 * wrangler prints), far under the 3 MiB Free plan limit.
 */
const CEILING_GZIP_BYTES = 150 * 1024

const kib = (bytes: number) => Math.round((bytes / 1024) * 10) / 10

/** A bundle's raw bytes by package (or by project folder), heaviest first, from esbuild's metafile. */
async function contributors(dir: string): Promise<[string, number][]> {
  const meta = JSON.parse(await readFile(join(dir, 'bundle-meta.json'), 'utf8')) as {
    outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }>
  }
  const [, output] = Object.entries(meta.outputs).find(([path]) => path.endsWith('worker.js'))!
  const totals = new Map<string, number>()
  for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
    const owner =
      path.match(/node_modules\/((@[^/]+\/)?[^/]+)/)?.[1] ?? path.replace(/^(\.\.\/)*/, '').replace(/[^/]*$/, '')
    totals.set(owner, (totals.get(owner) ?? 0) + bytesInOutput)
  }
  return [...totals].sort(([, a], [, b]) => b - a)
}

describe('wrangler deploy --dry-run', () => {
  let sizes: BundleSize[]
  let outdir: string
  beforeAll(async () => {
    outdir = await mkdtemp(join(tmpdir(), 'worker-bundles-'))
    sizes = await measureBundles(outdir)
  })
  afterAll(() => rm(outdir, { recursive: true, force: true }))
  const sizeOf = (worker: Worker) => sizes.find((size) => size.worker === worker)!

  test('builds every Worker, well under the Free plan limit, with the telemetry in it', () => {
    expect(sizes.map(({ worker }) => worker)).toEqual([...WORKERS])
    for (const { gzipBytes, telemetryBytes } of sizes) {
      expect(gzipBytes).toBeGreaterThan(0)
      expect(gzipBytes).toBeLessThan(FREE_PLAN_LIMIT_BYTES / 3)
      expect(telemetryBytes).toBeGreaterThan(0)
      expect(telemetryBytes).toBeLessThan(256 * 1024)
    }
  })

  for (const worker of WORKERS) {
    const ceiling = CEILING_GZIP_BYTES
    test(`the ${worker} Worker is at most ${kib(ceiling)} KiB gzip`, async () => {
      const { bytes, gzipBytes } = sizeOf(worker)
      // On failure, the diff names the heaviest parts of the bundle (raw KiB) to cut.
      const heaviest = Object.fromEntries(
        (await contributors(join(outdir, worker))).slice(0, 8).map(([owner, raw]) => [owner, kib(raw)]),
      )
      expect({ worker, gzipKiB: kib(gzipBytes), rawKiB: kib(bytes), over: gzipBytes > ceiling, heaviest }).toEqual({
        worker,
        gzipKiB: kib(gzipBytes),
        rawKiB: kib(bytes),
        over: false,
        heaviest,
      })
    })
  }

  test('validation is zod/mini, tree-shaken: under 64 KiB raw of any bundle (the whole of zod is 760 KiB)', async () => {
    const zod = await Promise.all(
      WORKERS.map(async (worker) => {
        const raw = (await contributors(join(outdir, worker))).find(([owner]) => owner === 'zod')?.[1] ?? 0
        return { worker, zodKiB: kib(raw) }
      }),
    )
    expect(zod.filter(({ zodKiB }) => zodKiB === 0 || zodKiB > 64)).toEqual([])
  })
})
