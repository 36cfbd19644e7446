// Sequential vs parallel pre-checks, measured in one run: two in-process shops (ORDER_PRECHECKS=sequential and
// =parallel) with the same injected latencies, orders sent to them in alternation, the pre-check phase read from
// each order's spans. `bun bench/prechecks.ts` prints the figures; `bench/index.ts` calls `measurePrechecks()`.
import { inProcessShop } from '../test/support/in-process.ts'
import type { FlatSpan } from '../test/support/otlp-json.ts'
import { figure, quantile, ratio, type SectionRun } from './section.ts'

export interface PrecheckOptions {
  /** Orders per variant. */
  orders?: number
  /** Injected latency of the stock check (which also answers the prices). */
  inventoryMs?: number
  /** Injected latency of the user check. */
  userMs?: number
  /** Items per order. */
  items?: number
}

export interface VariantFigures {
  /** From the first pre-check's start to the last one's end, per order: median and 95th percentile, ms. */
  precheckP50: number
  precheckP95: number
  /** The whole order through the gateway, as the client saw it: median, ms. */
  requestP50: number
}

export interface PrecheckFigures {
  options: Required<PrecheckOptions>
  sequential: VariantFigures
  parallel: VariantFigures
  /** sequential / parallel pre-check medians. */
  speedup: number
}

const PRECHECKS = new Set(['check_inventory', 'validate_user'])
const CATALOGUE = ['sku-mouse', 'sku-cable', 'sku-keyboard', 'sku-headset', 'sku-webcam', 'sku-ssd', 'sku-desk-mat']

export async function measurePrechecks(options: PrecheckOptions = {}): Promise<PrecheckFigures> {
  const settings = { orders: 20, inventoryMs: 150, userMs: 100, items: 3, ...options }
  const variants = ['sequential', 'parallel'] as const
  // Enough stock and open-order headroom that no order fails for reasons other than the one measured.
  const env = { ORDER_MAX_OPEN_ORDERS: '1000' }
  const shops = Object.fromEntries(
    await Promise.all(
      variants.map(async (mode) => [mode, await inProcessShop({ env: { ...env, ORDER_PRECHECKS: mode } })] as const),
    ),
  )
  const baggage = `fault.inventory=slow:${settings.inventoryMs},fault.user=slow:${settings.userMs}`
  const items = CATALOGUE.slice(0, settings.items).map((id) => ({ id, quantity: 1 }))
  const samples = {
    sequential: [] as { traceId: string; requestMs: number }[],
    parallel: [] as { traceId: string; requestMs: number }[],
  }

  for (let round = 0; round < settings.orders; round++) {
    // Alternate which goes first, so drift over the run hits both alike.
    for (const mode of round % 2 ? [...variants].reverse() : variants) {
      const began = performance.now()
      const response = await shops[mode]!.placeOrder({ userId: `u-bench-${mode}-${round}`, items }, { baggage })
      const requestMs = performance.now() - began
      if (response.status !== 201) throw new Error(`${mode} order failed: ${response.status} ${await response.text()}`)
      samples[mode].push({ traceId: response.headers.get('x-trace-id')!, requestMs })
    }
  }

  const figures = {} as Record<(typeof variants)[number], VariantFigures>
  for (const mode of variants) {
    const spans = await shops[mode]!.spans()
    const phases = samples[mode].map(({ traceId }) => precheckPhaseMs(spans.filter((span) => span.traceId === traceId)))
    figures[mode] = {
      precheckP50: quantile(phases, 0.5),
      precheckP95: quantile(phases, 0.95),
      requestP50: quantile(
        samples[mode].map((sample) => sample.requestMs),
        0.5,
      ),
    }
  }
  return { options: settings, ...figures, speedup: figures.sequential.precheckP50 / figures.parallel.precheckP50 }
}

/** First pre-check start to last pre-check end, in ms. */
function precheckPhaseMs(trace: FlatSpan[]): number {
  const checks = trace.filter((span) => PRECHECKS.has(span.name))
  if (checks.length !== PRECHECKS.size)
    throw new Error(`expected ${PRECHECKS.size} pre-check spans, found ${checks.length}`)
  const start = checks.reduce((min, span) => (span.startNs < min ? span.startNs : min), checks[0]!.startNs)
  const end = checks.reduce((max, span) => (span.endNs > max ? span.endNs : max), checks[0]!.endNs)
  return Number(end - start) / 1e6
}

/** The bench command's part: sequential against parallel pre-checks, alternating, in one run. */
export const precheckSection: SectionRun = async (context) => {
  context.log('pre-checks: sequential against parallel, alternating')
  const figures = await measurePrechecks()
  const { inventoryMs, userMs, items, orders } = figures.options
  return {
    tables: [
      {
        columns: ['pre-checks', 'p50 ms', 'p95 ms', 'whole order p50 ms'],
        rows: (['sequential', 'parallel'] as const).map((mode) => [
          mode,
          figure(figures[mode].precheckP50),
          figure(figures[mode].precheckP95),
          figure(figures[mode].requestP50),
        ]),
      },
    ],
    notes: [
      `Injected latencies: the stock check of ${items} items ${inventoryMs} ms, the user check ${userMs} ms; ${orders} orders a variant, in alternation, in-process. Parallel is ${ratio(figures.speedup)} faster: about the slowest check rather than their sum.`,
    ],
    data: figures,
  }
}

if (import.meta.main) {
  const figures = await measurePrechecks()
  const { inventoryMs, userMs, items, orders } = figures.options
  console.log(
    `pre-checks with injected latencies: the stock check of ${items} items ${inventoryMs} ms, the user check ${userMs} ms; ${orders} orders each`,
  )
  console.log('| variant | pre-checks p50 | pre-checks p95 | order p50 |')
  console.log('| --- | ---: | ---: | ---: |')
  for (const mode of ['sequential', 'parallel'] as const) {
    const row = figures[mode]
    console.log(
      `| ${mode} | ${row.precheckP50.toFixed(0)} ms | ${row.precheckP95.toFixed(0)} ms | ${row.requestP50.toFixed(0)} ms |`,
    )
  }
  console.log(`parallel is ${figures.speedup.toFixed(2)}× faster in the pre-check phase`)
}
