import { longestRoot, type TraceNode, type TraceTree } from './tree.ts'

export interface CriticalStep {
  node: TraceNode
  /** Time this span itself spent on the critical path, in microseconds. */
  selfTime: number
  /** The stretches of the span on the path, `[start, end)` in microseconds since the epoch, latest first. */
  sections: { start: number; end: number }[]
}

/**
 * The chain of spans that set the trace's duration, as Jaeger UI computes it, from the longest root. Walking back
 * from a span's end: its child that finished last is on the path, from that child's end; back at the child's start,
 * the next is the child that finished last *before* that start, and so on; what no such child covers is the
 * span's own time. So of two overlapping siblings only the later-finishing one is on the path. As in Jaeger,
 * children are first clipped to their parent (the part outside it never counts). One difference: a child that
 * ended exactly when the next one started is on the path (Jaeger wants it to end strictly before).
 *
 * Steps come in tree order; their self times add up to the root's duration. Linear in spans after sorting each
 * span's children by end, and iterative, so however deep a trace is it cannot overflow the stack.
 */
export function criticalPath(tree: TraceTree): CriticalStep[] {
  const root = longestRoot(tree)
  if (!root) return []
  const steps = new Map<TraceNode, CriticalStep>()
  const addSection = (node: TraceNode, start: number, end: number) => {
    let step = steps.get(node)
    if (!step) {
      step = { node, selfTime: 0, sections: [] }
      steps.set(node, step)
    }
    if (end <= start) return
    step.selfTime += end - start
    step.sections.push({ start, end })
  }

  interface Frame {
    node: TraceNode
    start: number
    /** Children clipped to this span, latest end first, and how many of them the walk has passed. */
    children: { node: TraceNode; start: number; end: number }[]
    next: number
    /** Where the walk back through this span has got to. */
    cursor: number
  }
  const enter = (node: TraceNode, start: number, end: number): Frame => {
    const children = []
    for (const child of node.children) {
      const childStart = Math.max(start, child.span.startTime)
      const childEnd = Math.min(end, child.span.startTime + child.span.duration)
      if (childEnd >= childStart && childStart < end && childEnd > start)
        children.push({ node: child, start: childStart, end: childEnd })
    }
    children.sort((a, b) => b.end - a.end)
    return { node, start, children, next: 0, cursor: end }
  }

  const stack = [enter(root, root.span.startTime, root.span.startTime + root.span.duration)]
  while (stack.length > 0) {
    const frame = stack.at(-1)!
    // The last-finishing child that ended by the cursor; children passed over ended later and never will.
    while (frame.next < frame.children.length && frame.children[frame.next]!.end > frame.cursor) frame.next++
    const child = frame.children[frame.next++]
    if (child) {
      addSection(frame.node, child.end, frame.cursor)
      frame.cursor = child.start
      stack.push(enter(child.node, child.start, child.end))
    } else {
      addSection(frame.node, frame.start, frame.cursor)
      stack.pop()
    }
  }
  return tree.nodes.filter((node) => steps.has(node)).map((node) => steps.get(node)!)
}
