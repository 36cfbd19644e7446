import { raw } from 'hono/html'
import { searchForm } from './client/search-form.ts'
import { traceFind } from './client/trace-find.ts'
import { traceTree } from './client/trace-tree.ts'
import { traceZoom } from './client/trace-zoom.ts'

/** The viewer's styles, inlined in every page: no asset route, no build step. */
export const VIEWER_CSS = raw(`
body { font: 14px system-ui, sans-serif; margin: 0; color: #1d2330; background: #f6f7f9; }
header { display: flex; gap: 1rem; align-items: center; padding: .6rem 1rem; background: #1d2330; }
header a { color: #cbd5e1; text-decoration: none; }
header a.brand { color: #fff; font-weight: 600; }
header nav { display: flex; gap: .9rem; }
header .jump { margin-left: auto; }
header .jump input { width: 22rem; }
main { padding: 1rem; }
a { color: #1d4ed8; }
:focus-visible { outline: 2px solid #2563eb; outline-offset: -2px; }
form.search { display: flex; gap: .6rem; flex-wrap: wrap; align-items: end; margin-bottom: 1rem; }
form.search label, form.window label { display: flex; flex-direction: column; font-size: 12px; gap: .2rem; }
form.search .custom-range { display: none; gap: .6rem; }
form.search:has(select[name=lookback] option[value=custom]:checked) .custom-range { display: flex; }
.results { list-style: none; padding: 0; margin: 0; }
.results li { background: #fff; border: 1px solid #dde1e7; border-radius: 6px; margin-bottom: .5rem; padding: .5rem .8rem; }
.results a { font-weight: 600; text-decoration: none; }
.meta, .hint { color: #5b6475; font-size: 12px; }
.duration-bar { height: 6px; background: #93c5fd; border-radius: 3px; margin-top: .3rem; }
.duration-bar.error { background: #fca5a5; }
.error-mark { color: #dc2626; font-weight: 700; }
.ok-mark { color: #16a34a; }
.dot { display: inline-block; width: .6rem; height: .6rem; border-radius: 50%; margin-right: .3rem; }
.legend { display: flex; gap: .8rem; flex-wrap: wrap; margin: .3rem 0; }
.toolbar { display: flex; gap: .6rem; align-items: center; flex-wrap: wrap; margin: .6rem 0; }
.toolbar form.find { display: flex; gap: .5rem; align-items: center; }
.toolbar form.find input { width: 22rem; }
.find-count { font-size: 12px; color: #5b6475; }
.minimap { background: #fff; border: 1px solid #dde1e7; border-radius: 6px; padding: 4px; margin-bottom: .6rem; }
.minimap svg { display: block; width: 100%; height: 80px; cursor: crosshair; touch-action: none; }
.minimap .shade { fill: rgba(29, 35, 48, .28); }
.minimap .selection { fill: rgba(37, 99, 235, .2); stroke: #2563eb; vector-effect: non-scaling-stroke; }
.minimap .page-band { fill: rgba(234, 179, 8, .25); }
.pager { display: flex; gap: 1rem; align-items: center; margin: .4rem 0; font-size: 13px; flex-wrap: wrap; }
.pager .match-pages a { margin-left: .4rem; }
.pager .match-pages a.current { font-weight: 700; }
.waterfall { --label-width: clamp(16rem, 32%, 34rem); --z0: 0; --zw: 1; position: relative; background: #fff;
  border: 1px solid #dde1e7; border-radius: 6px; }
.axis, .row { display: grid; grid-template-columns: var(--label-width) 1fr; }
.axis { position: sticky; top: 0; z-index: 3; background: #f1f3f6; border-bottom: 1px solid #dde1e7; font-size: 11px;
  color: #5b6475; height: 1.6rem; align-items: center; }
.axis-label { padding: 0 .5rem; }
.axis-ticks { position: relative; height: 100%; overflow: hidden; }
.tick { position: absolute; top: .35rem; left: calc((var(--t) - var(--z0)) / var(--zw) * 100%); padding-left: 3px;
  border-left: 1px solid #9aa3b2; white-space: nowrap; }
.gridlines { position: absolute; top: 1.6rem; bottom: 0; left: var(--label-width); right: 0; overflow: hidden;
  pointer-events: none; }
.gridlines i { position: absolute; top: 0; bottom: 0; width: 1px; background: #eceff3;
  left: calc((var(--t) - var(--z0)) / var(--zw) * 100%); }
.row { position: relative; border-top: 1px solid #f0f2f5; cursor: pointer; }
.row:hover { background: rgba(241, 245, 249, .7); }
.row.match { background: #fef3c7; }
.row.current-match { background: #fde68a; box-shadow: inset 3px 0 #d97706; }
.row.selected { box-shadow: inset 3px 0 #2563eb; }
.row.hidden, .details.hidden { display: none; }
.label { padding: .25rem .5rem .25rem calc(.5rem + var(--depth) * 1.1rem); white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; }
.toggle { display: inline-block; width: 1rem; border: 0; background: none; cursor: pointer; padding: 0; font: inherit; }
button.toggle::before { content: ''; display: inline-block; vertical-align: middle; border-style: solid;
  border-width: 6px 5px 0; border-color: #5b6475 transparent transparent; }
.row[aria-expanded=false] button.toggle::before { transform: rotate(-90deg); }
.timeline { position: relative; overflow: hidden; min-height: 1.5rem; }
.bar { position: absolute; top: .35rem; height: .8rem; border-radius: 2px; min-width: 2px; opacity: .9;
  left: calc((var(--s) - var(--z0)) / var(--zw) * 100%); width: calc(var(--w) / var(--zw) * 100%); }
.bar.failed { background-image: repeating-linear-gradient(135deg, transparent 0 6px, rgba(220, 38, 38, .5) 6px 8px);
  box-shadow: inset 0 -3px #dc2626; }
.path { position: absolute; top: calc(.75rem - 1.5px); height: 3px; background: #111827; pointer-events: none;
  left: calc((var(--a) - var(--z0)) / var(--zw) * 100%); width: calc(var(--b) / var(--zw) * 100%); }
.row.critical .label { font-weight: 600; }
.mark { position: absolute; top: .25rem; height: 1rem; width: 2px; margin-left: -1px; background: #111827;
  opacity: .75; left: calc((var(--at) - var(--z0)) / var(--zw) * 100%); }
.bar-text { position: absolute; top: .2rem; font-size: 11px; color: #5b6475; padding: 0 .3rem; white-space: nowrap; }
.bar-text.after { left: calc((var(--s) + var(--w) - var(--z0)) / var(--zw) * 100%); }
.bar-text.inside { right: calc(100% - (var(--s) + var(--w) - var(--z0)) / var(--zw) * 100%); color: #fff;
  font-weight: 600; text-shadow: 0 0 2px rgba(0, 0, 0, .7); }
.bar-text.before { right: calc(100% - (var(--s) - var(--z0)) / var(--zw) * 100%); }
.details { position: relative; padding: .5rem 1rem 1rem 2rem; background: #fafbfc; border-top: 1px solid #eef0f3; }
.details table { border-collapse: collapse; margin-bottom: .6rem; font-size: 12px; }
.details td { border: 1px solid #e5e7eb; padding: .15rem .4rem; vertical-align: top; }
.details h4 { margin: .5rem 0 .2rem; }
.status-message { color: #dc2626; }
.scatter { background: #fff; border: 1px solid #dde1e7; border-radius: 6px; margin: 0 0 1rem; padding: .3rem; }
.scatter svg { display: block; width: 100%; height: auto; max-height: 260px; }
.scatter .axis-line { stroke: #9aa3b2; }
.scatter text { font-size: 11px; fill: #5b6475; }
.scatter circle { fill: rgba(78, 121, 167, .7); stroke: #2f4b6b; }
.scatter circle.error { fill: rgba(220, 38, 38, .7); stroke: #7f1d1d; }
.scatter a:hover circle, .scatter a:focus circle { stroke-width: 2; stroke: #111827; }
table.stats { border-collapse: collapse; background: #fff; width: 100%; font-size: 13px; }
table.stats th, table.stats td { border-bottom: 1px solid #eef0f3; padding: .3rem .6rem; text-align: right; }
table.stats th:first-child, table.stats td:first-child { text-align: left; }
table.stats tr.service td { background: #f1f3f6; font-weight: 600; }
table.stats td.operation { padding-left: 1.6rem; }
.error-page { background: #fff; border: 1px solid #fecaca; border-radius: 6px; padding: 1rem 1.2rem; max-width: 48rem; }
.error-page h2 { margin-top: 0; color: #b91c1c; }
.form-error { color: #b91c1c; background: #fef2f2; border: 1px solid #fecaca; border-radius: 6px; padding: .5rem .8rem; }
.service-map { background: #fff; border: 1px solid #dde1e7; border-radius: 6px; }
.service-map svg { display: block; width: 100%; }
.service-map .node rect { fill: #fff; stroke-width: 2; }
.service-map .node text { font-size: 13px; fill: #1d2330; }
.service-map .edge path { fill: none; stroke: #9aa3b2; }
.service-map .edge.failing path { stroke: #dc2626; }
.service-map .edge text { font-size: 11px; fill: #5b6475; }
`)

/**
 * The viewer's script: small, dependency-free functions in `client/`, type-checked and linted with the rest, inlined
 * from their source (Bun keeps a function's transpiled source in `toString()`). Each finds its page's elements and
 * does nothing on other pages. Everything else is rendered on the server.
 */
export const VIEWER_SCRIPT = raw(
  [traceTree, traceFind, traceZoom, searchForm].map((client) => `(${client.toString()})();`).join('\n'),
)
