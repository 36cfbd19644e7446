import type { LoadRun } from '../scripts/load/run.ts'
import { loadPhase, SATURATION_CONCURRENCY, saturated } from './phase.ts'
import { figure, type SectionContext, type SectionResult } from './section.ts'
import type { SystemPool } from './systems.ts'

/**
 * Orders on Bun with tracing on, as `bun run dev` runs them: at saturation (closed model), then at half that rate
 * (open model, latency counted from when each request was due).
 */
export async function orderThroughput(
  context: SectionContext,
  pool: SystemPool,
): Promise<SectionResult & { halfRate: number }> {
  const phaseMs = context.quick ? 3000 : 8000
  const system = await pool.get('bun', 'collector')
  context.log('order throughput: saturation')
  const saturation = await loadPhase(system.gateway, saturated, phaseMs)
  const halfRate = Math.max(1, Math.round(saturation.summary.throughput / 2))
  context.log(`order throughput: half of it, ${halfRate} orders/s offered`)
  const half = await loadPhase(system.gateway, { kind: 'open', rate: halfRate }, phaseMs)
  const row = (load: string, run: LoadRun) => {
    const { latencyMs: latency } = run.summary
    return [
      load,
      figure(run.summary.throughput),
      figure(latency.p50),
      figure(latency.p90),
      figure(latency.p99),
      run.summary.errors,
    ]
  }
  return {
    halfRate,
    tables: [
      {
        columns: ['load', 'orders/s', 'p50 ms', 'p90 ms', 'p99 ms', 'errors'],
        rows: [
          row(`saturation (${SATURATION_CONCURRENCY} concurrent)`, saturation),
          row(`half (${halfRate}/s offered)`, half),
        ],
      },
    ],
    notes: [
      `Bun, tracing on (every span to the collector, as bun run dev runs), ${phaseMs / 1000} s each; one-item orders over the whole catalogue, the payment provider answering in 20 ms (PAYMENT_PROVIDER_LATENCY_MS).`,
    ],
    data: { phaseMs: phaseMs, saturation: saturation.summary, half: half.summary },
  }
}
