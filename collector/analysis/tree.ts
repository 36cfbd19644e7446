import type { JaegerSpan, JaegerTrace } from '../jaeger.ts'
import type { Tag } from '../model.ts'

/** A span placed in its trace: parent, children, depth, and what went wrong if it failed. */
export interface TraceNode {
  span: JaegerSpan
  service: string
  depth: number
  parent: TraceNode | undefined
  children: TraceNode[]
  failed: boolean
  statusMessage: string
  errorType: string | undefined
  /** Time not covered by any child, in microseconds. */
  selfTime: number
}

export interface TraceTree {
  traceId: string
  /** Spans without a parent in the trace: those whose parent never arrived, or whose parent is below them. */
  roots: TraceNode[]
  /** Every span, depth first, children by start time. */
  nodes: TraceNode[]
  start: number
  duration: number
}

export const tagValue = (tags: Tag[], key: string) => tags.find((tag) => tag.key === key)?.value

export function buildTree(trace: JaegerTrace): TraceTree {
  const byId = new Map<string, TraceNode>()
  for (const span of trace.spans) {
    const failed = tagValue(span.tags, 'error') === true || tagValue(span.tags, 'otel.status_code') === 'ERROR'
    byId.set(span.spanID, {
      span,
      service: trace.processes[span.processID]?.serviceName ?? 'unknown',
      depth: 0,
      parent: undefined,
      children: [],
      failed,
      statusMessage: String(tagValue(span.tags, 'otel.status_description') ?? ''),
      errorType: tagValue(span.tags, 'error.type')?.toString(),
      selfTime: span.duration,
    })
  }
  const roots: TraceNode[] = []
  for (const node of byId.values()) {
    const parentId = node.span.references.find((ref) => ref.refType === 'CHILD_OF')?.spanID
    const parent = parentId === undefined ? undefined : byId.get(parentId)
    // A parent below the span itself (a span naming itself as parent, say) would close a loop no root reaches.
    if (parent && !isWithin(parent, node)) {
      node.parent = parent
      parent.children.push(node)
    } else {
      roots.push(node)
    }
  }
  const nodes: TraceNode[] = []
  const visit = (node: TraceNode, depth: number) => {
    node.depth = depth
    node.children.sort((a, b) => a.span.startTime - b.span.startTime)
    node.selfTime = node.span.duration - covered(node)
    nodes.push(node)
    for (const child of node.children) visit(child, depth + 1)
  }
  roots.sort((a, b) => a.span.startTime - b.span.startTime)
  for (const root of roots) visit(root, 0)
  const start = Math.min(...trace.spans.map((span) => span.startTime))
  const end = Math.max(...trace.spans.map((span) => span.startTime + span.duration))
  return { traceId: trace.traceID, roots, nodes, start, duration: end - start }
}

/**
 * The root that stands for a trace: its name in searches and reports, where its critical path starts. A trace has
 * several roots when some parents never arrived; the longest is most likely the request that started it (of equally
 * long ones, the earliest).
 */
export const longestRoot = (tree: TraceTree): TraceNode | undefined =>
  [...tree.roots].sort((a, b) => b.span.duration - a.span.duration)[0]

/** Whether `node` is `ancestor` or below it, through the parents linked so far. */
function isWithin(node: TraceNode, ancestor: TraceNode): boolean {
  for (let at: TraceNode | undefined = node; at; at = at.parent) if (at === ancestor) return true
  return false
}

/** How much of the span its children cover (overlaps counted once, parts outside the span ignored). */
function covered(node: TraceNode): number {
  const start = node.span.startTime
  const end = start + node.span.duration
  let total = 0
  let cursor = start
  for (const child of node.children) {
    const from = Math.max(cursor, child.span.startTime)
    const to = Math.min(end, child.span.startTime + child.span.duration)
    if (to > from) {
      total += to - from
      cursor = to
    }
  }
  return total
}

/** The deepest spans that failed: where an error started rather than where it was passed on. */
export function deepestFailures(tree: TraceTree): TraceNode[] {
  const failed = tree.nodes.filter((node) => node.failed)
  const maxDepth = Math.max(...failed.map((node) => node.depth))
  return failed.filter((node) => node.depth === maxDepth)
}
