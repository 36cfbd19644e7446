import { raw } from 'hono/html'
import type { HtmlEscapedString } from 'hono/utils/html'
import type { TraceNode } from '../analysis/tree.ts'
import { formatMicros } from '../duration.ts'
import { turn } from '../turn.ts'
import { SpanDetails } from './span-details.tsx'
import { durationTicks } from './ticks.ts'
import type { TraceView } from './trace-view.ts'

/** Indentation stops here: deeper spans line up, their depth still in `aria-level`. */
const MAX_INDENT = 40
/** Event marks drawn on one bar at most; the details list them all. */
const MAX_MARKS = 50

/**
 * The waterfall: a header with the time axis, then a row a span. Rows place their bar with CSS variables (`--s`
 * start and `--w` width, fractions of the trace), so zooming (`client/trace-zoom.ts`) sets two variables on the
 * waterfall instead of moving every bar. A row's subtree is the rows after it that are deeper: collapsing needs no
 * list of ancestors on each row, which would grow with depth.
 */
export function Waterfall({ view, rows }: { view: TraceView; rows: HtmlEscapedString }) {
  const { tree } = view
  return (
    <div class="waterfall" role="tree" aria-label="spans of the trace" data-duration={tree.duration}>
      <div class="axis" aria-hidden="true">
        <div class="axis-label">Service and operation</div>
        <div class="axis-ticks">
          {durationTicks(tree.duration).map((tick) => (
            <span class="tick" style={`--t:${fraction(tick.at)}`}>
              {tick.label}
            </span>
          ))}
        </div>
      </div>
      <div class="gridlines" aria-hidden="true">
        {durationTicks(tree.duration).map((tick) => (
          <i style={`--t:${fraction(tick.at)}`} />
        ))}
      </div>
      {rows}
    </div>
  )
}

/** Rows rendered a hundred at a time with a pause between, so a whole page of them never holds the event loop. */
export async function renderRows(view: TraceView): Promise<HtmlEscapedString> {
  const first = view.selected ?? view.rows[0]?.span.spanID
  let html = ''
  for (let from = 0; from < view.rows.length; from += 100) {
    const chunk = view.rows.slice(from, from + 100)
    const parts = chunk.map((node) =>
      (<SpanRow node={node} view={view} focusable={node.span.spanID === first} />).toString(),
    )
    html += (await Promise.all(parts)).join('')
    await turn()
  }
  return raw(html)
}

function SpanRow({ node, view, focusable }: { node: TraceNode; view: TraceView; focusable: boolean }) {
  const { tree } = view
  const span = view.details.get(node.span.spanID) ?? node.span
  const step = view.critical.get(node)
  const color = view.colors.get(node.service)!
  const start = (span.startTime - tree.start) / Math.max(1, tree.duration)
  const width = span.duration / Math.max(1, tree.duration)
  const selected = view.selected === span.spanID
  const classes = ['row', step && 'critical', view.matches.has(span.spanID) && 'match', selected && 'selected']
  return (
    <>
      <div
        class={classes.filter(Boolean).join(' ')}
        data-span={span.spanID}
        data-depth={node.depth}
        role="treeitem"
        aria-level={node.depth + 1}
        aria-expanded={node.children.length > 0 ? 'true' : undefined}
        aria-selected={selected ? 'true' : 'false'}
        tabIndex={focusable ? 0 : -1}
        style={`--s:${fraction(start)};--w:${fraction(width)}`}
        title={`${node.service} ${span.operationName}`}
      >
        <div class="label" style={`--depth:${Math.min(node.depth, MAX_INDENT)}`}>
          {node.children.length > 0 ? (
            <button type="button" class="toggle" tabIndex={-1} aria-label="collapse" />
          ) : (
            <span class="toggle" />
          )}
          <span class="dot" style={`background:${color}`} />
          <span class="service">{node.service}</span> <span class="name">{span.operationName}</span>{' '}
          {node.failed ? (
            <span class="error-mark">
              ✗ <span class="status-message">{node.statusMessage}</span>
            </span>
          ) : null}
        </div>
        <div class="timeline">
          <div class={node.failed ? 'bar failed' : 'bar'} style={`background-color:${color}`} />
          {step?.sections.map((section) => (
            <i
              class="path"
              style={`--a:${fraction((section.start - tree.start) / Math.max(1, tree.duration))};--b:${fraction((section.end - section.start) / Math.max(1, tree.duration))}`}
            />
          ))}
          {span.logs.slice(0, MAX_MARKS).map((log) => (
            <i
              class="mark"
              style={`--at:${fraction((log.timestamp - tree.start) / Math.max(1, tree.duration))}`}
              title={`${String(log.fields.find((field) => field.key === 'event')?.value ?? 'event')} +${formatMicros(log.timestamp - span.startTime)}`}
            />
          ))}
          <span class={`bar-text ${barTextPlace(start, width)}`}>{formatMicros(span.duration)}</span>
        </div>
      </div>
      <div class={selected ? 'details' : 'details hidden'} id={`details-${span.spanID}`}>
        <SpanDetails
          node={node}
          span={span}
          processes={view.processes}
          traceStart={tree.start}
          selfOnPath={step?.selfTime}
        />
      </div>
    </>
  )
}

/** Fractions with six digits: exact to a microsecond in a second, short in the page. */
const fraction = (value: number) => String(Math.round(value * 1e6) / 1e6)

/**
 * The duration goes after a bar, or inside it near the right edge (white on the bar), or before a short one there.
 * The zoom script places it again when the bars move.
 */
function barTextPlace(start: number, width: number): 'after' | 'inside' | 'before' {
  if (start + width < 0.85) return 'after'
  return width >= 0.12 ? 'inside' : 'before'
}
