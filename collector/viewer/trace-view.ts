import { AppError } from '../../shared/errors.ts'
import type { CriticalStep } from '../analysis/critical-path.ts'
import type { TraceNode, TraceTree } from '../analysis/tree.ts'
import type { JaegerSpan, JaegerTrace } from '../jaeger.ts'
import { listServices } from '../query.ts'
import type { CollectorDb } from '../store.ts'
import { parseTraceId } from '../trace-id.ts'
import { serviceColors } from './colors.ts'
import { findSpans, findTerms } from './find-spans.ts'
import { layOutTrace } from './trace-cache.ts'
import { readSpans } from './trace-store.ts'

/** Rows a trace page shows: bigger traces are split into pages of this many spans, in tree order. */
export const PAGE_SIZE = 500

/** Everything the trace page shows, computed from the whole trace; only the rows of one page carry details. */
export interface TraceView {
  tree: TraceTree
  critical: Map<TraceNode, CriticalStep>
  /** The trace's services, by name. */
  services: string[]
  /** Every service's colour, the trace's and the others' (`serviceColors`). */
  colors: Map<string, string>
  /** Zero-based; `rows` are `tree.nodes` from `page * PAGE_SIZE`. */
  page: number
  pages: number
  rows: TraceNode[]
  /** The rows' spans in full (attributes, events, links) and their processes. */
  details: Map<string, JaegerSpan>
  processes: JaegerTrace['processes']
  find: string
  matches: Set<string>
  /** For each page holding matches, how many. */
  matchPages: Map<number, number>
  /** The span a link asked for (`?span=`): its row is focused and its details open. */
  selected: string | undefined
}

export interface TraceViewQuery {
  page?: string
  span?: string
  find?: string
}

/** A trace id as the query API takes it (hex, 64-bit ids padded, or base64), else a 400. */
export function requireTraceId(raw: string): string {
  const traceId = parseTraceId(raw)
  if (!traceId) throw new AppError(400, 'invalid_request', `not a trace id: ${raw}`)
  return traceId
}

/**
 * Reads and lays out one page of a trace. Linear in spans, and each slice of work (a read, a part of the tree) is
 * followed by a pause, so a 50k-span trace keeps the event loop free for other requests; the layout of the last
 * traces shown is kept (`layOutTrace`), so their other pages only read their own rows.
 */
export async function loadTraceView(db: CollectorDb, traceId: string, query: TraceViewQuery): Promise<TraceView> {
  const laidOut = await layOutTrace(db, traceId)
  if (!laidOut) throw new AppError(404, 'not_found', `trace ${traceId} not found`)
  const { tree, critical } = laidOut
  const find = (query.find ?? '').trim()
  const matches = await findSpans(db, traceId, findTerms(find), laidOut.spanIds)
  const pages = Math.max(1, Math.ceil(tree.nodes.length / PAGE_SIZE))
  const matchPages = new Map<number, number>()
  let firstMatch: number | undefined
  let selectedIndex: number | undefined
  tree.nodes.forEach((node, index) => {
    if (node.span.spanID === query.span) selectedIndex = index
    if (!matches.has(node.span.spanID)) return
    firstMatch ??= index
    const page = Math.floor(index / PAGE_SIZE)
    matchPages.set(page, (matchPages.get(page) ?? 0) + 1)
  })
  // An asked-for page wins; else the page of the asked-for span; else, when finding, the first match's.
  const asked = Number(query.page)
  const page =
    Number.isInteger(asked) && asked >= 1
      ? Math.min(asked, pages) - 1
      : Math.floor((selectedIndex ?? firstMatch ?? 0) / PAGE_SIZE)
  const rows = tree.nodes.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE)
  const services = [...new Set(tree.nodes.map((node) => node.service))].sort()
  const full = await readSpans(
    db,
    traceId,
    rows.map((node) => node.span.spanID),
  )
  return {
    tree,
    critical,
    services,
    colors: serviceColors(await listServices(db), services),
    page,
    pages,
    rows,
    details: new Map(full.spans.map((span) => [span.spanID, span])),
    processes: full.processes,
    find,
    matches,
    matchPages,
    selected: selectedIndex === undefined ? undefined : query.span,
  }
}
