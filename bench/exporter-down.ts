import { createServer, type Socket } from 'node:net'
import type { ExportStats } from '../shared/telemetry/processor.ts'
import { startProcesses } from '../test/support/processes.ts'
import type { SinkProcess } from './otlp-sink.ts'
import { loadPhase } from './phase.ts'
import { figure, type Goal, ratio, type SectionContext, type SectionResult } from './section.ts'
import { removeData, restock, SHOP_SERVICES, type ShopService, telemetryStats } from './systems.ts'

const MiB = 1024 * 1024
/**
 * A service's memory is flat when its last third's mean is above its middle third's by no more than this. Means,
 * not a line through the last third: resident memory rises and falls in a saw tooth of about a minute as the
 * runtime collects and returns memory, and a line through one minute of samples follows whatever part of a tooth it
 * falls on (docs/benchmarks.md: it failed the collector-up control in two of thirteen runs, the means in none).
 */
const FLAT = { share: 0.03, mib: 4 }

function durations(quick: boolean) {
  return quick
    ? { warmupMs: 1000, soakMs: 30_000, sampleMs: 2000 }
    : { warmupMs: 2000, soakMs: 180_000, sampleMs: 5000 }
}

interface Memory {
  startMiB: number
  maxMiB: number
  endMiB: number
  /** The last third's mean less the middle third's. */
  lastThirdRiseMiB: number
  flat: boolean
}

interface ScenarioFigures {
  scenario: string
  requests: number
  errors: number
  notSent: number
  p50: number
  p99: number
  /** Per service, and the four added up. */
  memory: Record<ShopService | 'total', Memory>
  spans: ExportStats
}

/**
 * A soak: three Bun shops under the same open-model load at once, for three minutes, their exporters sending to a
 * collector that is up (the discard sink), down (nothing listens) and hanging (accepts, never answers). Each
 * service's resident memory is sampled all along: with the collector gone it must reach a plateau (the queue is
 * bounded) and stay there. Latency and the span processors' counts come with it.
 */
export async function exporterDown(context: SectionContext, sink: SinkProcess, rate: number): Promise<SectionResult> {
  const { warmupMs, soakMs, sampleMs } = durations(context.quick)
  const hanging = startHangingEndpoint()
  const scenarios = [
    { name: 'collector up (discard sink)', endpoint: sink.endpoint },
    { name: 'collector down (port closed)', endpoint: 'http://127.0.0.1:1' },
    { name: 'collector hanging (accepts, never answers)', endpoint: await hanging.endpoint },
  ]
  context.log(`exporter with the collector down: three shops at once, ${rate} orders/s each, ${soakMs / 1000} s`)
  const shops: Shop[] = []
  try {
    for (const scenario of scenarios)
      shops.push(
        await startProcesses({
          OTEL_EXPORTER_OTLP_ENDPOINT: scenario.endpoint,
          OTEL_TRACES_SAMPLER: 'always_on',
          OTEL_BSP_SCHEDULE_DELAY: '1000',
        }),
      )
    await Promise.all(shops.map((shop) => restock(shop.database('inventory'))))
    await Promise.all(shops.map((shop) => loadPhase(shop.gateway, { kind: 'open', rate }, warmupMs)))
    // Resident memory of every service of every shop, from the start of the soak to its end.
    const samples: { atMs: number; mib: Record<ShopService, number>[] }[] = []
    const started = performance.now()
    const sample = async () =>
      samples.push({ atMs: performance.now() - started, mib: await Promise.all(shops.map(residentMiB)) })
    await sample()
    let soaking = true
    const sampler = (async () => {
      while (soaking) {
        await Bun.sleep(Math.max(0, samples.length * sampleMs - (performance.now() - started)))
        if (soaking) await sample()
      }
    })()
    const runs = await Promise.all(shops.map((shop) => loadPhase(shop.gateway, { kind: 'open', rate }, soakMs)))
    soaking = false
    await sampler
    await sample()
    const figures: ScenarioFigures[] = await Promise.all(
      scenarios.map(async (scenario, index) => {
        const run = runs[index]!
        const series = (name: ShopService | 'total') =>
          samples.map(({ atMs, mib }) => ({
            atMs,
            mib:
              name === 'total'
                ? SHOP_SERVICES.reduce((sum, service) => sum + mib[index]![service], 0)
                : mib[index]![name],
          }))
        const stats = await telemetryStats(shops[index]!.ports)
        return {
          scenario: scenario.name,
          requests: run.summary.requests,
          errors: run.summary.errors,
          notSent: run.summary.notSent,
          p50: run.histogram.percentile(50),
          p99: run.histogram.percentile(99),
          memory: Object.fromEntries(
            [...SHOP_SERVICES, 'total' as const].map((name) => [name, memoryOf(series(name))]),
          ) as Record<ShopService | 'total', Memory>,
          spans: SHOP_SERVICES.reduce(
            (total, name) => {
              for (const key of Object.keys(total) as (keyof ExportStats)[]) total[key] += stats[name][key]
              return total
            },
            { queued: 0, exported: 0, failed: 0, dropped: 0 },
          ),
        }
      }),
    )
    const up = figures[0]!
    const down = figures.slice(1)
    const plateau = down.every((row) => row.memory.total.flat)
    // A service rising in the last third, said beside whether the control (collector up) rose too.
    const rising = down.flatMap((row) =>
      SHOP_SERVICES.filter((name) => !row.memory[name].flat).map(
        (name) =>
          `${row.scenario}: ${name} rose ${figure(row.memory[name].lastThirdRiseMiB)} MiB in the last third over the middle one (with the collector up: ${figure(up.memory[name].lastThirdRiseMiB)} MiB).`,
      ),
    )
    const memoryCell = (memory: Memory) =>
      `${figure(memory.startMiB)} → ${figure(memory.maxMiB)} → ${figure(memory.endMiB)}`
    const goal: Goal = {
      id: 'memory',
      measure: `resident memory with the collector down, a ${soakMs / 60_000 >= 1 ? `${soakMs / 60_000}-minute` : `${soakMs / 1000}-second`} soak at ${rate} orders/s (four services added up, MiB: start → max → end)`,
      measured: down
        .map(
          (row) =>
            `${row.scenario.replace(/^collector /, '').replace(/ \(.*/, '')}: ${memoryCell(row.memory.total)}, last third ${row.memory.total.flat ? 'flat' : 'rising'} (${figure(row.memory.total.lastThirdRiseMiB)} MiB)`,
        )
        .join('; '),
      goal: 'a plateau: the last third flat',
      met: plateau,
    }
    return {
      goals: [goal],
      tables: [
        {
          columns: [
            'collector',
            'orders',
            'p50 ms',
            'p99 ms',
            'p99 vs up',
            'spans exported',
            'failed',
            'dropped',
            'queued',
          ],
          rows: figures.map((row) => [
            row.scenario,
            row.requests,
            figure(row.p50),
            figure(row.p99),
            ratio(row.p99 / up.p99),
            row.spans.exported,
            row.spans.failed,
            row.spans.dropped,
            row.spans.queued,
          ]),
        },
        {
          columns: [
            'collector',
            'service',
            'RSS MiB, start → max → end',
            'last third over middle: MiB',
            'last third flat',
          ],
          rows: figures.flatMap((row) =>
            [...SHOP_SERVICES, 'total' as const].map((name) => [
              row.scenario,
              name === 'total' ? 'all four' : name,
              memoryCell(row.memory[name]),
              figure(row.memory[name].lastThirdRiseMiB),
              row.memory[name].flat ? 'yes' : 'no',
            ]),
          ),
        },
      ],
      notes: [
        `Three Bun shops (each service its own process) at once, open model at ${rate} orders/s each for ${soakMs / 1000} s after ${warmupMs / 1000} s of warm-up; VmRSS of each service process sampled every ${sampleMs / 1000} s from /proc.`,
        `"Flat": the mean of the last third's samples is above the middle third's by at most ${FLAT.share * 100}% or ${FLAT.mib} MiB, whichever is more (means, as RSS rises and falls in a saw tooth of about a minute). The collector-up shop is the control.`,
        ...rising,
        'Spans are counted by each service\'s BoundedBatchSpanProcessor (a bounded queue, OTEL_BSP_MAX_QUEUE_SIZE, 8192 by default); "failed" spans were in a batch that gave up, "dropped" found the queue full.',
      ],
      data: { rate, soakMs, sampleMs, flat: FLAT, scenarios: figures, samples },
    }
  } finally {
    await Promise.all(
      shops.map(async (shop) => {
        await shop.stop()
        await removeData(shop.dataDir)
      }),
    )
    hanging.stop()
  }
}

function memoryOf(series: { atMs: number; mib: number }[]): Memory {
  const end = series.at(-1)!.atMs
  const middleThird = series.filter((point) => point.atMs >= end / 3 && point.atMs < (end * 2) / 3)
  const lastThird = series.filter((point) => point.atMs >= (end * 2) / 3)
  const level = meanMiB(lastThird)
  const rise = level - meanMiB(middleThird)
  return {
    startMiB: series[0]!.mib,
    maxMiB: Math.max(...series.map((point) => point.mib)),
    endMiB: series.at(-1)!.mib,
    lastThirdRiseMiB: rise,
    flat: rise <= Math.max(FLAT.mib, FLAT.share * level),
  }
}

function meanMiB(points: { mib: number }[]): number {
  return points.reduce((sum, point) => sum + point.mib, 0) / points.length
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

/** VmRSS of each service process from /proc, in MiB: native allocations included, as the operating system sees it. */
async function residentMiB(shop: Shop): Promise<Record<ShopService, number>> {
  const sizes = await Promise.all(
    SHOP_SERVICES.map(async (name) => {
      const status = await Bun.file(`/proc/${shop.process(name).pid}/status`)
        .text()
        .catch(() => '')
      return [name, (Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024) / MiB] as const
    }),
  )
  return Object.fromEntries(sizes) as Record<ShopService, number>
}
