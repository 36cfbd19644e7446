import { LatencyHistogram } from '../scripts/load/histogram.ts'
import type { LoadRun } from '../scripts/load/run.ts'
import type { Runtime } from '../test/support/system.ts'
import { loadPhase, SATURATION_CONCURRENCY, saturated } from './phase.ts'
import { figure, ratio, type SectionContext, type SectionResult } from './section.ts'
import type { SystemPool, Tracing } from './systems.ts'

const RUNTIMES: Runtime[] = ['bun', 'deno', 'workers']
const WARMUP_MS = 2000
const PHASE_MS = 4000
const ROUNDS = 6

interface SideFigures {
  requests: number
  errors: number
  throughput: number
  p50: number
  p99: number
}

/**
 * The order path at saturation with tracing on and off, two systems up at once and measured in alternation (on, off,
 * off, on, …), so that a noisy neighbour hits both sides alike and the ratios hold.
 */
export async function tracingOverhead(context: SectionContext, pool: SystemPool): Promise<SectionResult> {
  const rows = []
  const remarks: string[] = []
  const data: Record<string, unknown> = {}
  for (const runtime of RUNTIMES) {
    context.log(`tracing overhead on ${runtime}: starting two systems`)
    const systems = { on: await pool.get(runtime, 'on'), off: await pool.get(runtime, 'off') }
    for (const tracing of ['on', 'off'] as const) await loadPhase(systems[tracing].gateway, saturated, WARMUP_MS)
    const runs: Record<Tracing, LoadRun[]> = { on: [], off: [] }
    for (let round = 0; round < ROUNDS; round++) {
      const order: Tracing[] = round % 2 === 0 ? ['on', 'off'] : ['off', 'on']
      for (const tracing of order) {
        const run = await loadPhase(systems[tracing].gateway, saturated, PHASE_MS)
        context.log(
          `  round ${round + 1}, tracing ${tracing}: ${run.summary.throughput} orders/s, p99 ${run.summary.latencyMs.p99} ms`,
        )
        runs[tracing].push(run)
      }
    }
    const on = combine(runs.on)
    const off = combine(runs.off)
    const roundRatios = runs.on.map((run, round) => run.summary.throughput / runs.off[round]!.summary.throughput)
    rows.push([
      runtime,
      figure(off.throughput),
      figure(on.throughput),
      ratio(on.throughput / off.throughput),
      `${ratio(Math.min(...roundRatios))} – ${ratio(Math.max(...roundRatios))}`,
      `${figure(off.p99)} → ${figure(on.p99)}`,
      ratio(on.p99 / off.p99),
    ])
    if (on.errors + off.errors > 0)
      remarks.push(`${runtime}: ${off.errors} error answers with tracing off, ${on.errors} with it on.`)
    data[runtime] = {
      available: true,
      on,
      off,
      throughputRatio: on.throughput / off.throughput,
      p99Ratio: on.p99 / off.p99,
      roundRatios,
    }
    if (runtime !== 'bun') await pool.stop(runtime)
  }
  return {
    tables: [
      {
        columns: [
          'runtime',
          'orders/s, off',
          'orders/s, on',
          'throughput on/off',
          'per round',
          'p99 ms, off → on',
          'p99 on/off',
        ],
        rows,
      },
    ],
    notes: [
      `Closed model, ${SATURATION_CONCURRENCY} concurrent users placing one-item orders; ${ROUNDS} rounds of ${PHASE_MS / 1000} s a side after ${WARMUP_MS / 1000} s of warm-up, sides alternating.`,
      `Tracing on: every span sampled and exported over OTLP/protobuf to the collector that bun run dev starts; off: OTEL_SDK_DISABLED=true.`,
      'The collector runs on the same two cores and stores every span (about 40 an order), so "on" pays for the backend too; the machine is CPU-bound at saturation, so the throughput ratio is close to the ratio of CPU spent per order. On Workers every request also exports on its own (flush per request).',
      ...remarks,
    ],
    data: { concurrency: SATURATION_CONCURRENCY, phaseMs: PHASE_MS, rounds: ROUNDS, runtimes: data },
  }
}

function combine(runs: LoadRun[]): SideFigures {
  const histogram = new LatencyHistogram()
  for (const run of runs) histogram.merge(run.histogram)
  const elapsedMs = runs.reduce((sum, run) => sum + run.summary.elapsedMs, 0)
  return {
    requests: histogram.count,
    errors: runs.reduce((sum, run) => sum + run.summary.errors, 0),
    throughput: (histogram.count * 1000) / elapsedMs,
    p50: histogram.percentile(50),
    p99: histogram.percentile(99),
  }
}
