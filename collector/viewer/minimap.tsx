import type { TraceTree } from '../analysis/tree.ts'
import { PAGE_SIZE } from './trace-view.ts'

/** The minimap's resolution: spans are drawn in at most this many rows and this many columns. */
const BANDS = 80
const COLUMNS = 1000

interface Run {
  from: number
  to: number
  color: string
}

/**
 * The whole trace at a glance, as Jaeger draws it: one thin line a span in tree order, across the trace's time. A
 * big trace is drawn in bands of neighbouring spans, their lines merged, so the drawing stays the same size however
 * many spans there are. Dragging across it zooms the waterfall to that time (`client/trace-zoom.ts`); the page of a
 * paged trace is shaded.
 */
export function Minimap({ tree, colors, page }: { tree: TraceTree; colors: Map<string, string>; page: number }) {
  const count = tree.nodes.length
  const bands = Math.max(1, Math.min(count, BANDS))
  const runs: Run[][] = []
  for (let band = 0; band < bands; band++) {
    const from = Math.floor((band * count) / bands)
    const to = Math.floor(((band + 1) * count) / bands)
    runs.push(bandRuns(tree, colors, from, to))
  }
  const pageFrom = (page * PAGE_SIZE * bands) / count
  const pageTo = (Math.min(count, (page + 1) * PAGE_SIZE) * bands) / count
  return (
    <div class="minimap" title="Drag across to zoom the waterfall to that time">
      <svg
        viewBox={`0 0 ${COLUMNS} ${bands}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={`minimap of ${count} spans`}
      >
        {runs.map((band, y) =>
          band.map((run) => <rect x={run.from} y={y} width={run.to - run.from} height={1} fill={run.color} />),
        )}
        {count > PAGE_SIZE ? (
          <rect class="page-band" x={0} y={pageFrom} width={COLUMNS} height={pageTo - pageFrom} />
        ) : null}
        <rect class="shade shade-left" x={0} y={0} width={0} height={bands} />
        <rect class="shade shade-right" x={COLUMNS} y={0} width={0} height={bands} />
        <rect class="selection" x={0} y={0} width={0} height={bands} />
      </svg>
    </div>
  )
}

/** The spans `from`..`to` of the tree as merged runs of columns, each in the colour of the span that opened it. */
function bandRuns(tree: TraceTree, colors: Map<string, string>, from: number, to: number): Run[] {
  const scale = COLUMNS / Math.max(1, tree.duration)
  const spans: Run[] = []
  for (let index = from; index < to; index++) {
    const node = tree.nodes[index]!
    const start = Math.floor((node.span.startTime - tree.start) * scale)
    const end = Math.max(start + 1, Math.ceil((node.span.startTime + node.span.duration - tree.start) * scale))
    spans.push({ from: start, to: end, color: colors.get(node.service)! })
  }
  if (spans.length === 1) return spans
  spans.sort((a, b) => a.from - b.from)
  const runs: Run[] = []
  for (const span of spans) {
    const last = runs.at(-1)
    if (last && span.from <= last.to) last.to = Math.max(last.to, span.to)
    else runs.push({ ...span })
  }
  return runs
}
