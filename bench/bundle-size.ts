// `bun bench/bundle-size.ts`: each Worker's bundle as `wrangler deploy --dry-run` builds it (nothing is uploaded),
// raw and gzip; Workers' limit applies to the gzip size: 3 MB on the Free plan, 10 MB on Paid.
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { figure, type SectionRun } from './section.ts'

/** The issue's goal for each Worker's gzip size. */
export const GZIP_GOAL_BYTES = 150 * 1024

export const WORKERS = ['gateway', 'order', 'inventory', 'payment'] as const
export const FREE_PLAN_LIMIT_BYTES = 3 * 1024 * 1024

export interface BundleSize {
  worker: (typeof WORKERS)[number]
  bytes: number
  gzipBytes: number
  /** Raw bytes of the tracing in the bundle: `shared/telemetry/` and the OpenTelemetry packages it uses. */
  telemetryBytes: number
}

const TELEMETRY_SOURCE = /(node_modules\/@opentelemetry\/|shared\/telemetry\/)/

const root = new URL('../', import.meta.url).pathname

/** Builds every Worker with `wrangler deploy --dry-run --outdir <outdir>/<worker>` and measures `worker.js`. */
export async function measureBundles(outdir?: string): Promise<BundleSize[]> {
  const base = outdir ?? (await mkdtemp(join(tmpdir(), 'worker-bundles-')))
  return Promise.all(
    WORKERS.map(async (worker) => {
      const dir = join(base, worker)
      const build = Bun.spawn(
        [
          'node_modules/.bin/wrangler',
          'deploy',
          '--dry-run',
          '--outdir',
          dir,
          '--metafile',
          '-c',
          `wrangler/${worker}.toml`,
        ],
        {
          cwd: root,
          env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
          stdout: 'pipe',
          stderr: 'pipe',
        },
      )
      const [code, stdout, stderr] = await Promise.all([
        build.exited,
        new Response(build.stdout).text(),
        new Response(build.stderr).text(),
      ])
      if (code !== 0) throw new Error(`wrangler deploy --dry-run failed for ${worker}:\n${stdout}${stderr}`)
      const bundle = await readFile(join(dir, 'worker.js'))
      return {
        worker,
        bytes: bundle.byteLength,
        gzipBytes: gzipSync(bundle).byteLength,
        telemetryBytes: await telemetryBytes(dir),
      }
    }),
  )
}

/** From esbuild's metafile: what each input file contributes to the output. */
async function telemetryBytes(dir: string): Promise<number> {
  const meta = JSON.parse(await readFile(join(dir, 'bundle-meta.json'), 'utf8')) as {
    outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }>
  }
  const [, output] = Object.entries(meta.outputs).find(([path]) => path.endsWith('worker.js'))!
  return Object.entries(output.inputs)
    .filter(([path]) => TELEMETRY_SOURCE.test(path))
    .reduce((total, [, input]) => total + input.bytesInOutput, 0)
}

/** The bench command's part: each worker's bundle from `wrangler deploy --dry-run`. */
export const bundleSizeSection: SectionRun = async (context) => {
  context.log('bundle sizes: wrangler deploy --dry-run per worker')
  const sizes = await measureBundles()
  const gzip = sizes.map((size) => size.gzipBytes)
  return {
    goals: [
      {
        id: 'bundles',
        measure: 'worker bundles, gzip (`wrangler deploy --dry-run`)',
        measured: `${figure(Math.min(...gzip) / 1024)}–${figure(Math.max(...gzip) / 1024)} KiB (${sizes.map((size) => `${size.worker} ${figure(size.gzipBytes / 1024)}`).join(', ')})`,
        goal: `≤ ${GZIP_GOAL_BYTES / 1024} KiB each`,
        met: Math.max(...gzip) <= GZIP_GOAL_BYTES,
      },
    ],
    tables: [
      {
        columns: [
          'worker',
          'raw KiB',
          'gzip KiB',
          `gzip goal: ≤ ${GZIP_GOAL_BYTES / 1024} KiB`,
          'telemetry library, raw KiB',
          'share of the Free plan limit (gzip)',
        ],
        rows: sizes.map((size) => [
          size.worker,
          figure(size.bytes / 1024),
          figure(size.gzipBytes / 1024),
          size.gzipBytes <= GZIP_GOAL_BYTES ? 'met' : 'not met',
          figure(size.telemetryBytes / 1024),
          `${figure((100 * size.gzipBytes) / FREE_PLAN_LIMIT_BYTES)}%`,
        ]),
      },
    ],
    notes: [
      "Workers' limit is 3 MiB gzip on the Free plan, 10 MiB on Paid. Telemetry is the bundle's bytes from shared/telemetry and the OpenTelemetry packages.",
    ],
    data: sizes,
  }
}

if (import.meta.main) {
  const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`
  const sizes = await measureBundles()
  console.table(
    sizes.map(({ worker, bytes, gzipBytes, telemetryBytes }) => ({
      worker,
      raw: kib(bytes),
      gzip: kib(gzipBytes),
      'telemetry (raw)': kib(telemetryBytes),
    })),
  )
  console.log(`Workers' limit (gzip): ${kib(FREE_PLAN_LIMIT_BYTES)} on the Free plan, 10 MiB on Paid`)
}
