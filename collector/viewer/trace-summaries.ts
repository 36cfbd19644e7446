import type { CollectorDb } from '../store.ts'
import { turn } from '../turn.ts'
import { FAILED_SQL, jsonRows } from './sql.ts'

/** What the search page shows of a trace, computed by the database: a found 50k-span trace is never loaded. */
export interface TraceSummary {
  traceId: string
  /** The longest root (`longestRoot` in `analysis/tree.ts`): of the spans whose parent is not in the trace. */
  rootService: string
  rootName: string
  start: number
  duration: number
  spans: number
  errors: number
  services: string[]
}

/** Spans a statement looks at. */
const SLICE = 1000

type Candidate = [service: string, name: string, duration: number, start: number] | null
type Part = [
  spans: number,
  start: number,
  end: number,
  errors: number,
  services: string[],
  root: Candidate,
  longest: Candidate,
  last: string,
]

/** Summaries of the traces, in the order asked; traces pruned meanwhile are left out. */
export async function summarizeTraces(db: CollectorDb, traceIds: string[]): Promise<TraceSummary[]> {
  const summaries: TraceSummary[] = []
  for (const traceId of traceIds) {
    const summary = await summarizeTrace(db, traceId)
    if (summary) summaries.push(summary)
  }
  return summaries
}

/**
 * One trace, a slice of its primary key at a time with a pause between: counts, times and services add up; the
 * root is the longest span (the earliest of equals) whose parent is not in the trace, or, when parents loop so
 * that none is missing, the longest span.
 */
async function summarizeTrace(db: CollectorDb, traceId: string): Promise<TraceSummary | undefined> {
  const candidate = (rows: string) =>
    `(select json_array(service_name, name, duration, start_time) from ${rows} order by duration desc, start_time limit 1)`
  let spans = 0
  let start = Number.POSITIVE_INFINITY
  let end = Number.NEGATIVE_INFINITY
  let errors = 0
  const services = new Set<string>()
  let root: Candidate = null
  let longest: Candidate = null
  for (let after = ''; ; ) {
    const [part] = await jsonRows<Part>(
      db,
      `with slice as (select * from spans where trace_id = ?1 and span_id > ?2 order by span_id limit ${SLICE})
       select json_array(count(*), min(start_time), max(start_time + duration), coalesce(sum(${FAILED_SQL}), 0),
         json((select json_group_array(distinct service_name) from slice)),
         json(${candidate(`slice where parent_span_id is null or not exists (select 1 from spans parent where parent.trace_id = ?1 and parent.span_id = slice.parent_span_id)`)}),
         json(${candidate('slice')}), max(span_id)) as row
       from slice`,
      [traceId, after],
    )
    await turn()
    if (!part || part[0] === 0) break
    spans += part[0]
    start = Math.min(start, part[1])
    end = Math.max(end, part[2])
    errors += part[3]
    for (const service of part[4]) services.add(service)
    root = better(root, part[5])
    longest = better(longest, part[6])
    if (part[0] < SLICE) break
    after = part[7]
  }
  const stands = root ?? longest
  if (!stands) return undefined
  return {
    traceId,
    rootService: stands[0],
    rootName: stands[1],
    start,
    duration: end - start,
    spans,
    errors,
    services: [...services].sort(),
  }
}

/** The longer of two spans, or the earlier of two as long. */
function better(a: Candidate, b: Candidate): Candidate {
  if (!a || !b) return a ?? b
  return b[2] > a[2] || (b[2] === a[2] && b[3] < a[3]) ? b : a
}
