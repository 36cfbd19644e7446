import { longestRoot, type TraceNode, type TraceTree } from './tree.ts'

export interface CriticalStep {
  node: TraceNode
  /** Time this span itself spent on the critical path, in microseconds. */
  selfTime: number
}

/**
 * The chain of spans that set the trace's duration, from the longest root: walking back from a span's end, the
 * child that finished last is on the path, then the one that finished last before that child started, and so on;
 * the gaps between them are the parent's own time. Steps come in tree order; their self times add up to the
 * root's duration.
 */
export function criticalPath(tree: TraceTree): CriticalStep[] {
  const root = longestRoot(tree)
  if (!root) return []
  const selfTimes = new Map<TraceNode, number>()
  const order: TraceNode[] = []
  const add = (node: TraceNode, time: number) => {
    if (!selfTimes.has(node)) order.push(node)
    selfTimes.set(node, (selfTimes.get(node) ?? 0) + time)
  }
  const walk = (node: TraceNode, until: number) => {
    add(node, 0)
    const start = node.span.startTime
    let cursor = Math.min(until, start + node.span.duration)
    const byEnd = [...node.children].sort((a, b) => end(b) - end(a))
    for (const child of byEnd) {
      if (child.span.startTime >= cursor || end(child) <= start) continue
      const childEnd = Math.min(end(child), cursor)
      add(node, cursor - childEnd)
      walk(child, childEnd)
      cursor = Math.max(start, child.span.startTime)
    }
    add(node, cursor - start)
  }
  walk(root, end(root))
  const position = new Map(tree.nodes.map((node, index) => [node, index]))
  order.sort((a, b) => position.get(a)! - position.get(b)!)
  return order.map((node) => ({ node, selfTime: selfTimes.get(node)! }))
}

const end = (node: TraceNode) => node.span.startTime + node.span.duration
