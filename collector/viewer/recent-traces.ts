import { findTraceIds, type TraceQuery } from '../query.ts'
import type { CollectorDb } from '../store.ts'
import { pause } from './pause.ts'
import { jsonRows } from './sql.ts'

/** Spans of the start-time index a slice of the search covers. */
const SLICE = 2000

/**
 * `findTraceIds`, newest first, over slices of the start-time index walked back from the end of the search's time
 * range, with a pause between slices; it stops as soon as it has `limit` traces. A search among one trace's 50k
 * spans (or a busy day's million) then never holds the event loop in one long statement.
 */
export async function findRecentTraceIds(db: CollectorDb, query: TraceQuery): Promise<string[]> {
  const found = new Set<string>()
  const start = query.start ?? 0
  for (let end = query.end ?? Number.MAX_SAFE_INTEGER; found.size < query.limit && end >= start; ) {
    const [older] = await jsonRows<number>(
      db,
      'select start_time as row from spans where start_time >= ? and start_time <= ? order by start_time desc limit 1 offset ?',
      [start, end, SLICE],
    )
    // Spans that started in one microsecond stay in one slice, however many there are.
    const from = older === undefined ? start : Math.min(end, older + 1)
    const ids = await findTraceIds(db, { ...query, start: from, end, limit: query.limit - found.size })
    for (const id of ids) if (found.size < query.limit) found.add(id)
    end = from - 1
    await pause()
  }
  return [...found]
}
