import { buildTree, deepestFailures } from '../analysis/tree.ts'
import { formatTimestamp } from '../duration.ts'
import type { JaegerTrace } from '../jaeger.ts'
import { spanLabel } from './format.ts'

/** Failing traces grouped by where the error started (the deepest failing span) and its message, most frequent first. */
export function renderErrors(traces: JaegerTrace[]): string {
  const groups = new Map<string, { label: string; errorType?: string; traceIds: string[]; last: number }>()
  for (const tree of traces.map(buildTree)) {
    for (const node of deepestFailures(tree)) {
      const label = `${spanLabel(node)}: ${node.statusMessage || '(no message)'}`
      const group = groups.get(label) ?? { label, errorType: node.errorType, traceIds: [], last: 0 }
      if (!group.traceIds.includes(tree.traceId)) group.traceIds.push(tree.traceId)
      group.last = Math.max(group.last, node.span.startTime)
      groups.set(label, group)
    }
  }
  if (groups.size === 0) return 'No failing traces.'
  return [...groups.values()]
    .sort((a, b) => b.traceIds.length - a.traceIds.length || b.last - a.last)
    .map((group) =>
      [
        `${group.traceIds.length}× ${group.label}${group.errorType ? `  (error.type=${group.errorType})` : ''}`,
        `   last ${formatTimestamp(group.last)} · traces ${group.traceIds.slice(0, 3).join(', ')}${group.traceIds.length > 3 ? ', …' : ''}`,
      ].join('\n'),
    )
    .join('\n')
}
