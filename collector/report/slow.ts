import { buildTree, longestRoot } from '../analysis/tree.ts'
import { formatMicros, formatTimestamp } from '../duration.ts'
import type { JaegerTrace } from '../jaeger.ts'
import { percent, spanLabel } from './format.ts'

/**
 * Traces at least `minDuration` long, longest first: the duration, the span with the most self time (where the
 * time actually went) and every span longer than 10% of the trace.
 */
export function renderSlow(traces: JaegerTrace[], minDuration: number): string {
  const trees = traces.map(buildTree).filter((tree) => tree.duration >= minDuration)
  if (trees.length === 0) return `No trace of ${formatMicros(minDuration)} or more.`
  trees.sort((a, b) => b.duration - a.duration)
  return trees
    .map((tree) => {
      const root = longestRoot(tree)!
      const slowest = [...tree.nodes].sort((a, b) => b.selfTime - a.selfTime)[0]!
      const big = tree.nodes.filter((node) => node.span.duration > tree.duration / 10)
      return [
        `${tree.traceId}  ${formatMicros(tree.duration)}  ${spanLabel(root)}  ${formatTimestamp(tree.start)}`,
        `  slowest span: ${spanLabel(slowest)} ${formatMicros(slowest.selfTime)} self of ${formatMicros(slowest.span.duration)}`,
        `  spans over 10% of the trace:`,
        ...big.map(
          (node) =>
            `    ${spanLabel(node)} ${formatMicros(node.span.duration)} (${percent(node.span.duration, tree.duration)})`,
        ),
      ].join('\n')
    })
    .join('\n\n')
}
