import { findDependencies } from '../dependencies.ts'
import type { CollectorDb } from '../store.ts'
import { turn } from '../turn.ts'
import { FAILED_SQL, failedSql, jsonRows } from './sql.ts'
import { sliceWindow, type TimeWindow } from './window.ts'

export interface MapNode {
  service: string
  spans: number
  errors: number
}

export interface MapEdge {
  parent: string
  child: string
  /** Spans of `child` whose parent span is in `parent` (`findDependencies`). */
  calls: number
  /** Of those, the ones that failed. */
  errors: number
}

/** Spans a slice of the window holds: each query over one stays short. */
const SLICE = 2500

/**
 * The service graph of the window: the links `findDependencies` finds, with how many of those calls failed, and
 * each service's spans and errors. Read over slices of the window with a pause between them.
 */
export async function serviceMap(db: CollectorDb, window: TimeWindow): Promise<{ nodes: MapNode[]; edges: MapEdge[] }> {
  const nodes = new Map<string, MapNode>()
  const edges = new Map<string, MapEdge>()
  const edge = (parent: string, child: string) => {
    const key = `${parent}\n${child}`
    let found = edges.get(key)
    if (!found) {
      found = { parent, child, calls: 0, errors: 0 }
      edges.set(key, found)
    }
    return found
  }
  for (const slice of await sliceWindow(db, window, SLICE)) {
    for (const link of await findDependencies(db, slice)) edge(link.parent, link.child).calls += link.callCount
    const failing = await jsonRows<[string, string, number]>(
      db,
      `select json_array(parent.service_name, child.service_name, count(*)) as row
       from spans child join spans parent on parent.trace_id = child.trace_id and parent.span_id = child.parent_span_id
       where child.start_time >= ? and child.start_time <= ? and parent.service_name != child.service_name
         and ${failedSql('child')}
       group by parent.service_name, child.service_name`,
      [slice.start, slice.end],
    )
    for (const [parent, child, errors] of failing) edge(parent, child).errors += errors
    const services = await jsonRows<[string, number, number]>(
      db,
      `select json_array(service_name, count(*), sum(${FAILED_SQL})) as row from spans
       where start_time >= ? and start_time <= ? group by service_name`,
      [slice.start, slice.end],
    )
    for (const [service, spans, errors] of services) {
      const node = nodes.get(service) ?? { service, spans: 0, errors: 0 }
      node.spans += spans
      node.errors += errors
      nodes.set(service, node)
    }
    await turn()
  }
  return {
    nodes: [...nodes.values()].sort((a, b) => a.service.localeCompare(b.service)),
    edges: [...edges.values()].filter((link) => link.calls > 0),
  }
}
