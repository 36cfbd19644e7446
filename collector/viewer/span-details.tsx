import type { TraceNode } from '../analysis/tree.ts'
import { formatMicros } from '../duration.ts'
import type { JaegerSpan, JaegerTrace } from '../jaeger.ts'
import type { Tag } from '../model.ts'

/**
 * A span's details under its row: ids, timing, status, attributes, events, links and resource. The tables the
 * find box searches (`client/trace-find.ts`) are the `kv` ones; a link's attributes are not the span's.
 */
export function SpanDetails({
  node,
  span,
  processes,
  traceStart,
  selfOnPath,
}: {
  node: TraceNode
  span: JaegerSpan
  processes: JaegerTrace['processes']
  traceStart: number
  selfOnPath: number | undefined
}) {
  const process = processes[span.processID]
  const parent = span.references.find((ref) => ref.refType === 'CHILD_OF')
  const links = span.references.filter((ref) => ref.refType === 'FOLLOWS_FROM')
  return (
    <>
      <p class="meta">
        span <code>{span.spanID}</code> · parent <code>{parent ? parent.spanID : 'none'}</code>
        {parent && !node.parent ? ' (never arrived)' : ''} · start +{formatMicros(span.startTime - traceStart)} ·
        duration {formatMicros(span.duration)} · self {formatMicros(node.selfTime)}
        {selfOnPath === undefined ? '' : ` · ${formatMicros(selfOnPath)} on the critical path`} ·{' '}
        <a href={`/trace/${span.traceID}?span=${span.spanID}`} class="permalink">
          link to this span
        </a>
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
          <a href={`/trace/${link.traceID}?span=${link.spanID}`}>
            {link.traceID}/{link.spanID}
          </a>
          <TagTable tags={link.tags ?? []} searched={false} />
        </>
      ))}
      <h4>Resource: {process?.serviceName}</h4>
      <TagTable tags={process?.tags ?? []} />
    </>
  )
}

function TagTable({ tags, searched = true }: { tags: Tag[]; searched?: boolean }) {
  return (
    <table class={searched ? 'kv' : undefined}>
      {tags.map((tag) => (
        <tr>
          <td>{tag.key}</td>
          <td>{String(tag.value)}</td>
        </tr>
      ))}
    </table>
  )
}
