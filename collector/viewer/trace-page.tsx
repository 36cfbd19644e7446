import { criticalPath } from '../analysis/critical-path.ts'
import { buildTree, type TraceNode, type TraceTree } from '../analysis/tree.ts'
import { formatMicros, formatTimestamp } from '../duration.ts'
import type { JaegerTrace } from '../jaeger.ts'
import type { Tag } from '../model.ts'
import { Layout, serviceColor } from './layout.tsx'

/** The waterfall of one trace: a collapsible tree, bars on a shared time axis, the critical path outlined. */
export function TracePage({ trace }: { trace: JaegerTrace }) {
  const tree = buildTree(trace)
  const onPath = new Set(criticalPath(tree).map((step) => step.node))
  const failed = tree.nodes.filter((node) => node.failed).length
  return (
    <Layout title={`Trace ${tree.traceId}`}>
      <h2>
        Trace <code>{tree.traceId}</code>
      </h2>
      <p class="meta">
        {formatMicros(tree.duration)} · {tree.nodes.length} spans · started {formatTimestamp(tree.start)} ·{' '}
        {failed > 0 ? (
          <span class="error-mark">✗ {failed} failing spans</span>
        ) : (
          <span class="ok-mark">✓ no errors</span>
        )}{' '}
        · outlined bars are the critical path
      </p>
      <div class="waterfall">
        {tree.nodes.map((node) => (
          <SpanRow node={node} tree={tree} critical={onPath.has(node)} trace={trace} />
        ))}
      </div>
    </Layout>
  )
}

function SpanRow({
  node,
  tree,
  critical,
  trace,
}: {
  node: TraceNode
  tree: TraceTree
  critical: boolean
  trace: JaegerTrace
}) {
  const { span } = node
  const left = (100 * (span.startTime - tree.start)) / Math.max(1, tree.duration)
  const width = (100 * span.duration) / Math.max(1, tree.duration)
  const ancestors: string[] = []
  for (let parent = node.parent; parent; parent = parent.parent) ancestors.push(parent.span.spanID)
  return (
    <>
      <div
        class={critical ? 'row critical' : 'row'}
        data-span={span.spanID}
        data-ancestors={ancestors.join(' ')}
        title={`${node.service} ${span.operationName}`}
      >
        <div class="label" style={`padding-left:${0.5 + node.depth * 1.1}rem`}>
          <button type="button" class="toggle" aria-label="collapse">
            {node.children.length > 0 ? '▾' : ''}
          </button>
          <span class="dot" style={`background:${serviceColor(node.service)}`} />
          <span class="service">{node.service}</span> <span class="name">{span.operationName}</span>{' '}
          {node.failed ? (
            <span class="error-mark">
              ✗ <span class="status-message">{node.statusMessage}</span>
            </span>
          ) : null}
        </div>
        <div class="timeline">
          <div
            class="bar"
            style={`left:${left}%;width:${width}%;background:${node.failed ? '#dc2626' : serviceColor(node.service)}`}
          />
          <span class={`bar-text ${barTextPlace(left, width)}`} style={barTextPosition(left, width)}>
            {formatMicros(span.duration)}
          </span>
        </div>
      </div>
      <div class="details hidden" id={`details-${span.spanID}`}>
        <SpanDetails node={node} tree={tree} trace={trace} />
      </div>
    </>
  )
}

function SpanDetails({ node, tree, trace }: { node: TraceNode; tree: TraceTree; trace: JaegerTrace }) {
  const { span } = node
  const process = trace.processes[span.processID]
  const parent = span.references.find((ref) => ref.refType === 'CHILD_OF')
  const links = span.references.filter((ref) => ref.refType === 'FOLLOWS_FROM')
  return (
    <>
      <p class="meta">
        span <code>{span.spanID}</code> · parent <code>{parent ? parent.spanID : 'none'}</code>
        {parent && !node.parent ? ' (never arrived)' : ''} · start +{formatMicros(span.startTime - tree.start)} ·
        duration {formatMicros(span.duration)} · self {formatMicros(node.selfTime)}
      </p>
      {node.failed ? <p class="status-message">Status: ERROR {node.statusMessage}</p> : null}
      <h4>Attributes</h4>
      <TagTable tags={span.tags} />
      {span.logs.length > 0 ? <h4>Events</h4> : null}
      {span.logs.map((log) => (
        <>
          <div class="meta">+{formatMicros(log.timestamp - span.startTime)}</div>
          <TagTable tags={log.fields} />
        </>
      ))}
      {links.length > 0 ? <h4>Links</h4> : null}
      {links.map((link) => (
        <>
          <a href={`/trace/${link.traceID}`}>
            {link.traceID}/{link.spanID}
          </a>
          <TagTable tags={link.tags ?? []} />
        </>
      ))}
      <h4>Resource: {process?.serviceName}</h4>
      <TagTable tags={process?.tags ?? []} />
    </>
  )
}

function TagTable({ tags }: { tags: Tag[] }) {
  return (
    <table>
      {tags.map((tag) => (
        <tr>
          <td>{tag.key}</td>
          <td>{String(tag.value)}</td>
        </tr>
      ))}
    </table>
  )
}

/** The duration goes after a bar, or inside it near the right edge (white on the bar), or before a short one there. */
function barTextPlace(left: number, width: number): 'after' | 'inside' | 'before' {
  if (left + width < 85) return 'after'
  return width >= 12 ? 'inside' : 'before'
}

function barTextPosition(left: number, width: number): string {
  const place = barTextPlace(left, width)
  if (place === 'after') return `left:${left + width}%`
  return `right:${100 - (place === 'inside' ? left + width : left)}%`
}
