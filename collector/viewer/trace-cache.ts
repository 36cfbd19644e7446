import { type CriticalStep, criticalPath } from '../analysis/critical-path.ts'
import { buildTreeAsync, type TraceNode, type TraceTree } from '../analysis/tree.ts'
import type { CollectorDb } from '../store.ts'
import { turn } from '../turn.ts'
import { jsonRows } from './sql.ts'
import { readOutline } from './trace-store.ts'

/** A trace's tree and critical path, and its span ids in key order (where `findSpans` cuts its slices). */
export interface LaidOutTrace {
  tree: TraceTree
  critical: Map<TraceNode, CriticalStep>
  spanIds: string[]
}

/** Traces kept laid out: paging through a big trace, finding in it or following a span link reads it once. */
const KEEP = 2
const caches = new WeakMap<CollectorDb, Map<string, LaidOutTrace>>()

/**
 * The trace laid out, from the cache while it holds as many spans as when it was laid out (spans arrive late and
 * are pruned: either changes the count), else read and built again. Undefined for no such trace.
 */
export async function layOutTrace(db: CollectorDb, traceId: string): Promise<LaidOutTrace | undefined> {
  const [count] = await jsonRows<number>(db, 'select count(*) as row from spans where trace_id = ?', [traceId])
  if (!count) return undefined
  let cache = caches.get(db)
  if (!cache) {
    cache = new Map()
    caches.set(db, cache)
  }
  const cached = cache.get(traceId)
  cache.delete(traceId)
  if (cached && cached.spanIds.length === count) {
    cache.set(traceId, cached)
    return cached
  }
  const outline = await readOutline(db, traceId)
  if (!outline) return undefined
  const tree = await buildTreeAsync(outline.trace, turn)
  const critical = new Map(criticalPath(tree).map((step) => [step.node, step]))
  await turn()
  const laidOut = { tree, critical, spanIds: outline.spanIds }
  cache.set(traceId, laidOut)
  for (const oldest of cache.keys()) if (cache.size > KEEP) cache.delete(oldest)
  return laidOut
}
