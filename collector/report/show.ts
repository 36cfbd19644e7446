import { buildTree, type TraceNode } from '../analysis/tree.ts'
import { formatMicros } from '../duration.ts'
import type { JaegerTrace } from '../jaeger.ts'
import { formatTags, spanSummary } from './format.ts'

/** The trace as a tree; failing spans also show their `error.type` and events. */
export function renderTrace(trace: JaegerTrace): string {
  const tree = buildTree(trace)
  const failing = tree.nodes.filter((node) => node.failed).length
  const lines = [
    `Trace ${tree.traceId} · ${formatMicros(tree.duration)} · ${tree.nodes.length} spans · ${failing} failing`,
  ]
  const visit = (node: TraceNode, prefix: string, branch: string, last: boolean) => {
    lines.push(`${prefix}${branch}${spanSummary(node)}`)
    const inner = prefix + (branch === '' ? '' : last ? '   ' : '│  ')
    if (node.failed) {
      const detail = inner + (node.children.length > 0 ? '│    ' : '     ')
      if (node.errorType) lines.push(`${detail}error.type: ${node.errorType}`)
      for (const log of node.span.logs) {
        const [name, ...fields] = log.fields
        lines.push(
          `${detail}event ${String(name?.value)} at +${formatMicros(log.timestamp - node.span.startTime)} ${formatTags(fields)}`.trimEnd(),
        )
      }
    }
    node.children.forEach((child, index) => {
      const isLast = index === node.children.length - 1
      visit(child, inner, isLast ? '└─ ' : '├─ ', isLast)
    })
  }
  for (const root of tree.roots) visit(root, '', '', true)
  return lines.join('\n')
}
