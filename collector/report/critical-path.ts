import { criticalPath } from '../analysis/critical-path.ts'
import { buildTree } from '../analysis/tree.ts'
import { formatMicros } from '../duration.ts'
import type { JaegerTrace } from '../jaeger.ts'
import { percent, spanLabel } from './format.ts'

/** The spans that set the trace's duration, each with the time it spent on the path itself. */
export function renderCriticalPath(trace: JaegerTrace): string {
  const tree = buildTree(trace)
  const steps = criticalPath(tree)
  const total = steps.reduce((sum, step) => sum + step.selfTime, 0)
  return [
    `Critical path of ${tree.traceId} (${formatMicros(total)})`,
    ...steps.map(
      (step) =>
        `${'  '.repeat(step.node.depth + 1)}${spanLabel(step.node)}  self ${formatMicros(step.selfTime)} (${percent(step.selfTime, total)}) of ${formatMicros(step.node.span.duration)}${step.node.failed ? ' ✗' : ''}`,
    ),
  ].join('\n')
}
