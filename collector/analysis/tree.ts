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

/**
 * Links spans to their parents and orders them depth first. Linear in spans (plus sorting siblings), however deep
 * or wide the trace: no step walks up through ancestors per span, and nothing recurses, so 50k spans in one chain
 * neither take quadratic time nor overflow the stack.
 */
export function buildTree(trace: JaegerTrace): TraceTree {
  const steps = treeSteps(trace)
  for (;;) {
    const step = steps.next()
    if (step.done) return step.value
  }
}

/** `buildTree` for a server: awaits `pause()` every few thousand spans, so a big trace never holds the event loop. */
export async function buildTreeAsync(trace: JaegerTrace, pause: () => Promise<void>): Promise<TraceTree> {
  const steps = treeSteps(trace)
  for (;;) {
    const step = steps.next()
    if (step.done) return step.value
    await pause()
  }
}

/** Spans handled between two pauses of `buildTreeAsync`. */
const SLICE = 4000

/** The work of `buildTree`, yielding after every `SLICE` spans of each pass. */
function* treeSteps(trace: JaegerTrace): Generator<void, TraceTree> {
  const byId = new Map<string, TraceNode>()
  for (const span of trace.spans) {
    byId.set(span.spanID, newNode(span, trace))
    if (byId.size % SLICE === 0) yield
  }
  const nodes = [...byId.values()]
  for (let index = 0; index < nodes.length; index++) {
    const node = nodes[index]!
    node.parent = byId.get(node.span.references.find((ref) => ref.refType === 'CHILD_OF')?.spanID ?? '')
    if (index % SLICE === SLICE - 1) yield
  }
  yield* breakLoops(nodes)
  const roots: TraceNode[] = []
  for (const node of nodes) {
    if (node.parent) node.parent.children.push(node)
    else roots.push(node)
  }
  roots.sort(byStart)
  yield
  const ordered: TraceNode[] = []
  // Depth first with an explicit stack: children pushed in reverse so the earliest comes out first.
  const stack = roots.slice().reverse()
  while (stack.length > 0) {
    const node = stack.pop()!
    node.depth = node.parent ? node.parent.depth + 1 : 0
    node.children.sort(byStart)
    node.selfTime = node.span.duration - covered(node)
    ordered.push(node)
    for (let index = node.children.length - 1; index >= 0; index--) stack.push(node.children[index]!)
    if (ordered.length % SLICE === 0) yield
  }
  let start = Number.POSITIVE_INFINITY
  let end = Number.NEGATIVE_INFINITY
  for (const span of trace.spans) {
    if (span.startTime < start) start = span.startTime
    if (span.startTime + span.duration > end) end = span.startTime + span.duration
  }
  if (trace.spans.length === 0) start = end = 0
  return { traceId: trace.traceID, roots, nodes: ordered, start, duration: end - start }
}

function newNode(span: JaegerSpan, trace: JaegerTrace): TraceNode {
  let error: unknown
  let statusCode: unknown
  let statusMessage: unknown
  let errorType: unknown
  // One pass over the tags rather than a search per key.
  for (const tag of span.tags) {
    if (tag.key === 'error') error ??= tag.value
    else if (tag.key === 'otel.status_code') statusCode ??= tag.value
    else if (tag.key === 'otel.status_description') statusMessage ??= tag.value
    else if (tag.key === 'error.type') errorType ??= tag.value
  }
  return {
    span,
    service: trace.processes[span.processID]?.serviceName ?? 'unknown',
    depth: 0,
    parent: undefined,
    children: [],
    failed: error === true || statusCode === 'ERROR',
    statusMessage: String(statusMessage ?? ''),
    errorType: errorType?.toString(),
    selfTime: span.duration,
  }
}

const byStart = (a: TraceNode, b: TraceNode) => a.span.startTime - b.span.startTime

/**
 * Parents that loop back (a span naming itself, or two naming each other) would hang spans no root reaches. Each
 * loop is cut above the span of the loop that started first (the earliest in the trace's order of equals), which
 * becomes a root. Every span is walked up from once: a walk stops at a span an earlier walk already passed.
 */
function* breakLoops(nodes: TraceNode[]): Generator<void> {
  const walkOf = new Map<TraceNode, number>()
  for (let walk = 0; walk < nodes.length; walk++) {
    if (walk % SLICE === SLICE - 1) yield
    let at: TraceNode | undefined = nodes[walk]
    while (at && !walkOf.has(at)) {
      walkOf.set(at, walk)
      at = at.parent
    }
    if (!at || walkOf.get(at) !== walk) continue
    // Back at a span of this walk: a loop through `at`.
    let earliest = at
    for (let member = at.parent!; member !== at; member = member.parent!)
      if (member.span.startTime < earliest.span.startTime) earliest = member
    earliest.parent = undefined
  }
}

/**
 * The root that stands for a trace: its name in searches and reports, where its critical path starts. A trace has
 * several roots when some parents never arrived; the longest is most likely the request that started it (of equally
 * long ones, the earliest).
 */
export function longestRoot(tree: TraceTree): TraceNode | undefined {
  let longest: TraceNode | undefined
  for (const root of tree.roots) if (!longest || root.span.duration > longest.span.duration) longest = root
  return longest
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
  let maxDepth = -1
  for (const node of tree.nodes) if (node.failed && node.depth > maxDepth) maxDepth = node.depth
  return tree.nodes.filter((node) => node.failed && node.depth === maxDepth)
}
