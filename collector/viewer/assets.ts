import { raw } from 'hono/html'

export const VIEWER_CSS = raw(`
body { font: 14px system-ui, sans-serif; margin: 0; color: #1d2330; background: #f6f7f9; }
header { display: flex; gap: 1rem; align-items: center; padding: .6rem 1rem; background: #1d2330; }
header a.brand { color: #fff; font-weight: 600; text-decoration: none; }
header .jump input { width: 22rem; }
main { padding: 1rem; }
form.search { display: flex; gap: .6rem; flex-wrap: wrap; align-items: end; margin-bottom: 1rem; }
form.search label { display: flex; flex-direction: column; font-size: 12px; gap: .2rem; }
.results { list-style: none; padding: 0; margin: 0; }
.results li { background: #fff; border: 1px solid #dde1e7; border-radius: 6px; margin-bottom: .5rem; padding: .5rem .8rem; }
.results a { font-weight: 600; text-decoration: none; color: #1d4ed8; }
.meta { color: #5b6475; font-size: 12px; }
.duration-bar { height: 6px; background: #93c5fd; border-radius: 3px; margin-top: .3rem; }
.duration-bar.error { background: #fca5a5; }
.error-mark { color: #dc2626; font-weight: 700; }
.ok-mark { color: #16a34a; }
.waterfall { background: #fff; border: 1px solid #dde1e7; border-radius: 6px; }
.row { display: grid; grid-template-columns: minmax(22rem, 40%) 1fr; border-top: 1px solid #eef0f3; cursor: pointer; }
.row:hover { background: #f1f5f9; }
.row.hidden, .details.hidden { display: none; }
.label { padding: .25rem .5rem; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.toggle { display: inline-block; width: 1rem; border: 0; background: none; cursor: pointer; padding: 0; }
.dot { display: inline-block; width: .6rem; height: .6rem; border-radius: 50%; margin-right: .3rem; }
.timeline { position: relative; }
.bar { position: absolute; top: .35rem; height: .8rem; border-radius: 2px; min-width: 2px; opacity: .85; }
.row.critical .bar { outline: 2px solid #111827; opacity: 1; }
.row.critical .label { font-weight: 600; }
.bar-text { position: absolute; top: .2rem; font-size: 11px; color: #5b6475; padding: 0 .3rem; }
.bar-text.inside { color: #fff; font-weight: 600; }
.details { padding: .5rem 1rem 1rem 2rem; background: #fafbfc; border-top: 1px solid #eef0f3; }
.details table { border-collapse: collapse; margin-bottom: .6rem; font-size: 12px; }
.details td { border: 1px solid #e5e7eb; padding: .15rem .4rem; vertical-align: top; }
.details h4 { margin: .5rem 0 .2rem; }
.status-message { color: #dc2626; }
`)

/** Collapsing subtrees and opening span details; everything else is rendered on the server. */
export const VIEWER_SCRIPT = raw(`
document.addEventListener('click', (event) => {
  const toggle = event.target.closest('.toggle')
  const row = event.target.closest('.row')
  if (!row) return
  const id = row.dataset.span
  if (toggle) {
    const collapsed = toggle.textContent === '▸'
    toggle.textContent = collapsed ? '▾' : '▸'
    for (const below of document.querySelectorAll('.row[data-ancestors~="' + id + '"]')) {
      below.classList.toggle('hidden', !collapsed)
      if (!collapsed) document.getElementById('details-' + below.dataset.span).classList.add('hidden')
    }
    return
  }
  document.getElementById('details-' + id).classList.toggle('hidden')
})
`)
