import { Latencies } from '../analysis/latency.ts'
import type { CollectorDb } from '../store.ts'
import { turn } from '../turn.ts'
import { FAILED_SQL, jsonRows } from './sql.ts'
import { sliceWindow, type TimeWindow } from './window.ts'

/** The span kinds the services page can count, as OTLP numbers them; `all` counts every span. */
export const KINDS = [
  ['server', 'server spans (requests served)', [2]],
  ['consumer', 'consumer spans', [5]],
  ['client', 'client spans (calls made)', [3]],
  ['producer', 'producer spans', [4]],
  ['internal', 'internal spans', [0, 1]],
  ['all', 'all spans', [0, 1, 2, 3, 4, 5]],
] as const
export type KindName = (typeof KINDS)[number][0]

export interface ServiceStats {
  service: string
  total: Latencies
  operations: Map<string, Latencies>
}

/** Spans read a statement. */
const SLICE = 2500

/**
 * Per service and operation, the calls, errors and latencies of the spans of the given kinds that started in the
 * window: what Jaeger's Monitor tab reads from a metrics backend, here from the stored spans. The window is read in
 * slices of the start-time index with a pause between them, so a busy day never holds the event loop.
 */
export async function serviceStats(db: CollectorDb, window: TimeWindow, kind: KindName): Promise<ServiceStats[]> {
  const kinds = KINDS.find(([name]) => name === kind)![2].join(', ')
  const byService = new Map<string, ServiceStats>()
  for (const slice of await sliceWindow(db, window, SLICE)) {
    const rows = await jsonRows<[string, string, number, 0 | 1]>(
      db,
      `select json_array(service_name, name, duration, ${FAILED_SQL}) as row from spans
       where start_time >= ? and start_time <= ? and kind in (${kinds})`,
      [slice.start, slice.end],
    )
    for (const [service, name, duration, failed] of rows) {
      let stats = byService.get(service)
      if (!stats) {
        stats = { service, total: new Latencies(), operations: new Map() }
        byService.set(service, stats)
      }
      let operation = stats.operations.get(name)
      if (!operation) {
        operation = new Latencies()
        stats.operations.set(name, operation)
      }
      stats.total.add(duration, failed === 1)
      operation.add(duration, failed === 1)
    }
    await turn()
  }
  return [...byService.values()].sort((a, b) => a.service.localeCompare(b.service))
}
