import type { ExportStats } from '../shared/telemetry/processor.ts'
import { figure, type Goal, type SectionContext, type SectionResult } from './section.ts'
import { SHOP_SERVICES, type ShopService, type SystemPool, settle, telemetryStats } from './systems.ts'

export const BURST_ORDERS = 200
const CATALOGUE = ['sku-mouse', 'sku-cable', 'sku-keyboard', 'sku-headset', 'sku-webcam', 'sku-ssd', 'sku-desk-mat']

interface Burst {
  tracing: 'sink' | 'collector'
  /** From the first order sent to the last answer. */
  ms: number
  answers: Record<string, number>
  /** What each service's span processor counted during the burst and the export after it. */
  spans: Record<ShopService, ExportStats>
}

/**
 * A burst of 200 orders sent at once to the order service of the Bun shop with tracing on (spans to the discard sink, and to the
 * collector), a few times each: what the span processors drop when about 34 spans an order arrive faster than a
 * batch leaves. The counts come from each service's /healthz, read before the burst and after its spans have left.
 */
export async function burstSection(context: SectionContext, pool: SystemPool): Promise<SectionResult> {
  const repeats = context.quick ? 1 : 3
  const bursts: Burst[] = []
  for (const tracing of ['sink', 'collector'] as const) {
    const system = await pool.get('bun', tracing)
    for (let repeat = 0; repeat < repeats; repeat++) {
      await settle(system, 'bun')
      const before = await telemetryStats(system.ports)
      const started = performance.now()
      const answers: Record<string, number> = {}
      await Promise.all(
        Array.from({ length: BURST_ORDERS }, async (_, index) => {
          const body = {
            userId: `burst-${tracing}-${repeat}-${index}`,
            items: [{ id: CATALOGUE[index % CATALOGUE.length]!, quantity: 1 }],
          }
          // Straight to the order service, with the services' credential, as the gateway calls it.
          const status = await fetch(`http://127.0.0.1:${system.ports.order}/orders`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${system.env.SERVICE_TOKEN}` },
            body: JSON.stringify(body),
          }).then(
            async (response) => {
              await response.body?.cancel()
              return String(response.status)
            },
            () => 'network error',
          )
          answers[status] = (answers[status] ?? 0) + 1
        }),
      )
      const ms = performance.now() - started
      await settle(system, 'bun')
      const after = await telemetryStats(system.ports)
      const spans = Object.fromEntries(
        SHOP_SERVICES.map((name) => [
          name,
          Object.fromEntries(
            (['queued', 'exported', 'failed', 'dropped'] as const).map((key) => [
              key,
              key === 'queued' ? after[name].queued : after[name][key] - before[name][key],
            ]),
          ) as unknown as ExportStats,
        ]),
      ) as Record<ShopService, ExportStats>
      context.log(
        `burst of ${BURST_ORDERS} (${tracing}): ${figure(ms)} ms, order service dropped ${spans.order.dropped} spans`,
      )
      bursts.push({ tracing, ms, answers, spans })
    }
  }
  const worst = Math.max(...bursts.map((burst) => burst.spans.order.dropped))
  const perConfig = (tracing: Burst['tracing']) =>
    bursts
      .filter((burst) => burst.tracing === tracing)
      .map((burst) => burst.spans.order.dropped)
      .join(', ')
  const goal: Goal = {
    id: 'burst',
    measure: `spans dropped by the order service for a burst of ${BURST_ORDERS} concurrent orders`,
    measured: `${worst} worst (to the sink: ${perConfig('sink')}; to the collector: ${perConfig('collector')})`,
    goal: '0 at that burst',
    met: worst === 0,
  }
  const total = (burst: Burst, key: keyof ExportStats) =>
    SHOP_SERVICES.reduce((sum, name) => sum + burst.spans[name][key], 0)
  return {
    goals: [goal],
    tables: [
      {
        columns: [
          'spans to',
          'burst',
          'ms to the last answer',
          'answers',
          'order: exported',
          'order: dropped',
          'order: failed',
          'all services: exported',
          'all services: dropped',
        ],
        rows: bursts.map((burst, index) => [
          burst.tracing === 'sink' ? 'discard sink' : 'collector',
          (index % repeats) + 1,
          figure(burst.ms),
          Object.entries(burst.answers)
            .map(([status, count]) => `${count} × ${status}`)
            .join(', '),
          burst.spans.order.exported,
          burst.spans.order.dropped,
          burst.spans.order.failed,
          total(burst, 'exported'),
          total(burst, 'dropped'),
        ]),
      },
    ],
    notes: [
      `Bun shop, tracing on (every span sampled), ${BURST_ORDERS} one-item orders of distinct users sent at once straight to the order service (POST /orders with the services' credential, as the gateway sends them), ${repeats} bursts a configuration; the counts are the difference of the services' /healthz telemetry counters before the burst and after its spans have left. A dropped span is one the processor's queue (OTEL_BSP_MAX_QUEUE_SIZE, 8192 by default) had no room for.`,
    ],
    data: { orders: BURST_ORDERS, bursts },
  }
}
