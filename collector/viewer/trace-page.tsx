import type { HtmlEscapedString } from 'hono/utils/html'
import { formatMicros, formatTimestamp } from '../duration.ts'
import { Layout } from './layout.tsx'
import { Minimap } from './minimap.tsx'
import { PAGE_SIZE, type TraceView } from './trace-view.ts'
import { Waterfall } from './waterfall.tsx'

/**
 * One trace: summary, find box and tree controls, minimap, and the waterfall (a page of it for big traces), its
 * rows rendered beforehand by `renderRows`.
 */
export function TracePage({ view, rows }: { view: TraceView; rows: HtmlEscapedString }) {
  const { tree } = view
  let failed = 0
  for (const node of tree.nodes) if (node.failed) failed++
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
        · dark lines on the bars are the critical path
      </p>
      <p class="legend">
        {view.services.map((service) => (
          <span class="legend-item">
            <span class="dot" style={`background:${view.colors.get(service)}`} />
            {service}
          </span>
        ))}
      </p>
      <div class="toolbar">
        <form class="find" method="get" action={`/trace/${tree.traceId}`}>
          <input
            type="search"
            name="find"
            value={view.find}
            placeholder="Find: operation, service, attribute, span id"
            aria-label="find in trace"
            data-pages={view.pages}
          />
          <output class="find-count">{view.find ? matchCount(view) : ''}</output>
        </form>
        <button type="button" data-action="expand-all">
          Expand all
        </button>
        <button type="button" data-action="collapse-all">
          Collapse all
        </button>
        <button type="button" data-action="reset-zoom" hidden>
          Reset zoom
        </button>
        <span class="hint">
          arrow keys move, collapse and expand · Enter opens details · shift-click a triangle for a whole subtree
        </span>
      </div>
      <Minimap tree={tree} colors={view.colors} page={view.page} />
      {view.pages > 1 ? <Pager view={view} /> : null}
      <Waterfall view={view} rows={rows} />
      {view.pages > 1 ? <Pager view={view} /> : null}
    </Layout>
  )
}

function matchCount(view: TraceView): string {
  const count = view.matches.size
  return `${count} ${count === 1 ? 'span matches' : 'spans match'}`
}

/** Previous and next page, and the pages holding matches of a find. */
function Pager({ view }: { view: TraceView }) {
  const link = (page: number) =>
    `/trace/${view.tree.traceId}?page=${page + 1}${view.find ? `&find=${encodeURIComponent(view.find)}` : ''}`
  const first = view.page * PAGE_SIZE + 1
  const last = first + view.rows.length - 1
  return (
    <nav class="pager" aria-label="pages of spans">
      {view.page > 0 ? <a href={link(view.page - 1)}>‹ previous</a> : <span class="meta">‹ previous</span>}
      <span>
        spans {first}–{last} of {view.tree.nodes.length} (page {view.page + 1} of {view.pages})
      </span>
      {view.page + 1 < view.pages ? <a href={link(view.page + 1)}>next ›</a> : <span class="meta">next ›</span>}
      {view.matchPages.size > 0 ? (
        <span class="match-pages">
          matches on page{view.matchPages.size > 1 ? 's' : ''}{' '}
          {[...view.matchPages].map(([page, count]) => (
            <a href={link(page)} class={page === view.page ? 'current' : undefined}>
              {page + 1} ({count})
            </a>
          ))}
        </span>
      ) : null}
    </nav>
  )
}
