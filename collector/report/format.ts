import type { TraceNode } from '../analysis/tree.ts'
import { formatMicros } from '../duration.ts'
import type { Tag } from '../model.ts'

/** `[service] name`, how every report names a span. */
export const spanLabel = (node: TraceNode) => `[${node.service}] ${node.span.operationName}`

/** `name (4.7s) ✓`, or `name (4.7s) ✗ message` for a failing span. */
export const spanSummary = (node: TraceNode) =>
  `${spanLabel(node)} (${formatMicros(node.span.duration)}) ${node.failed ? `✗ ${node.statusMessage}`.trimEnd() : '✓'}`

/** `key=value` pairs on one line; stack traces and other multi-line values are cut to their first line. */
export const formatTags = (tags: Tag[]) => tags.map((tag) => `${tag.key}=${String(tag.value).split('\n')[0]}`).join(' ')

export const percent = (part: number, whole: number) => `${Math.round((100 * part) / Math.max(1, whole))}%`
