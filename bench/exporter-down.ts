import { createServer, type Socket } from 'node:net'
import { LatencyHistogram } from '../scripts/load/histogram.ts'
import type { ExportStats } from '../shared/telemetry/processor.ts'
import { startProcesses } from '../test/support/processes.ts'
import type { OtlpSink } from './otlp-sink.ts'
import { loadPhase } from './phase.ts'
import { figure, ratio, type SectionContext, type SectionResult } from './section.ts'
import { restock } from './systems.ts'

const WARMUP_MS = 1000
const PHASE_MS = 4000
const ROUNDS = 6
const MiB = 1024 * 1024

/**
 * The exporter with its collector up, down (nothing listens) and hanging (accepts, never answers): three shops
 * under the same offered rate in alternation, each service's resident memory read before and after, and its span
 * processor's counts.
 */
export async function exporterDown(context: SectionContext, sink: OtlpSink, rate: number): Promise<SectionResult> {
  const hanging = startHangingEndpoint()
  const scenarios = [
    { name: 'collector up', endpoint: sink.endpoint },
    { name: 'collector down (port closed)', endpoint: 'http://127.0.0.1:1' },
    { name: 'collector hanging (accepts, never answers)', endpoint: await hanging.endpoint },
  ]
  context.log(`exporter with the collector down: three shops, ${rate} orders/s each in turn`)
  const shops = await Promise.all(
    scenarios.map((scenario) =>
      startProcesses({
        OTEL_EXPORTER_OTLP_ENDPOINT: scenario.endpoint,
        OTEL_TRACES_SAMPLER: 'always_on',
        OTEL_BSP_SCHEDULE_DELAY: '1000',
      }),
    ),
  )
  try {
    await Promise.all(shops.map((shop) => restock(shop.database('inventory'))))
    for (const shop of shops) await loadPhase(shop.gateway, { kind: 'open', rate }, WARMUP_MS)
    const rssSamples = async () => (await Promise.all(shops.map(residentBytes))).map((bytes) => bytes / MiB)
    // Resident memory of each shop at the start, then after each round: flat once its queues are full, or growing.
    const rss = [await rssSamples()]
    const latency = scenarios.map(() => new LatencyHistogram())
    const errors = scenarios.map(() => 0)
    for (let round = 0; round < ROUNDS; round++) {
      for (let turn = 0; turn < shops.length; turn++) {
        const index = (round + turn) % shops.length
        const run = await loadPhase(shops[index]!.gateway, { kind: 'open', rate }, PHASE_MS)
        latency[index]!.merge(run.histogram)
        errors[index]! += run.summary.errors
      }
      rss.push(await rssSamples())
    }
    const figures = await Promise.all(
      scenarios.map(async (scenario, index) => ({
        scenario: scenario.name,
        requests: latency[index]!.count,
        errors: errors[index]!,
        p50: latency[index]!.percentile(50),
        p99: latency[index]!.percentile(99),
        rssMiB: rss.map((sample) => sample[index]!),
        spans: await spanCounts(shops[index]!),
      })),
    )
    const up = figures[0]!
    return {
      tables: [
        {
          columns: [
            'collector',
            'p50 ms',
            'p99 ms',
            'p99 vs up',
            'RSS MiB, start → each round',
            'spans exported',
            'failed',
            'dropped',
            'queued',
          ],
          rows: figures.map((row) => [
            row.scenario,
            figure(row.p50),
            figure(row.p99),
            ratio(row.p99 / up.p99),
            row.rssMiB.map(figure).join(' → '),
            row.spans.exported,
            row.spans.failed,
            row.spans.dropped,
            row.spans.queued,
          ]),
        },
      ],
      notes: [
        `Open model at ${rate} orders/s (a quarter of saturation), ${ROUNDS} rounds of ${PHASE_MS / 1000} s a shop after ${WARMUP_MS / 1000} s of warm-up; RSS is VmRSS of the four service processes added up.`,
        'Spans are counted by each service\'s BoundedBatchSpanProcessor (queue of 2048, batches of 512, 10 s a try, 5 tries with backoff); "failed" spans were in a batch that gave up.',
      ],
      data: { rate, phaseMs: PHASE_MS, rounds: ROUNDS, scenarios: figures },
    }
  } finally {
    await Promise.all(shops.map((shop) => shop.stop()))
    hanging.stop()
  }
}

/** A TCP endpoint that accepts connections and never answers: a collector stuck, or a black-holed route. */
function startHangingEndpoint() {
  const sockets = new Set<Socket>()
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
  })
  const endpoint = new Promise<string>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}`)),
  )
  return {
    endpoint,
    stop() {
      for (const socket of sockets) socket.destroy()
      server.close()
    },
  }
}

type Shop = Awaited<ReturnType<typeof startProcesses>>
const SERVICES = ['gateway', 'order', 'inventory', 'payment'] as const

/** Span counts of the four services added up, as each reports them on /healthz. */
async function spanCounts(shop: Shop): Promise<ExportStats> {
  const total: ExportStats = { queued: 0, exported: 0, failed: 0, dropped: 0 }
  for (const name of SERVICES) {
    const stats: ExportStats = (await (await fetch(`http://127.0.0.1:${shop.ports[name]}/healthz`)).json()).telemetry
    for (const key of Object.keys(total) as (keyof ExportStats)[]) total[key] += stats[key]
  }
  return total
}

/** VmRSS of the four service processes from /proc: native allocations included, as the operating system sees it. */
async function residentBytes(shop: Shop): Promise<number> {
  const sizes = await Promise.all(
    SERVICES.map(
      async (name) =>
        Number(/^VmRSS:\s+(\d+) kB/m.exec(await Bun.file(`/proc/${shop.process(name).pid}/status`).text())?.[1] ?? 0) *
        1024,
    ),
  )
  return sizes.reduce((sum, size) => sum + size, 0)
}
