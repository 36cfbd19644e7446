/**
 * Zooming the waterfall to a stretch of time dragged across the minimap. Bars are placed by CSS from `--z0` (where
 * the view starts) and `--zw` (how much of the trace it shows), so a zoom sets those two and redraws the few ticks;
 * the rows are not touched but to move duration labels that would fall off. Inlined as the page's script.
 */
export function traceZoom(): void {
  const svg = document.querySelector<SVGSVGElement>('.minimap svg')
  const waterfall = document.querySelector<HTMLElement>('.waterfall')
  if (!svg || !waterfall) return
  const duration = Number(waterfall.dataset.duration)
  const width = svg.viewBox.baseVal.width
  const reset = document.querySelector<HTMLButtonElement>('[data-action=reset-zoom]')!
  const rect = (name: string) => svg.querySelector<SVGRectElement>(`.${name}`)!
  const place = (element: SVGRectElement, from: number, to: number) => {
    element.setAttribute('x', String(from * width))
    element.setAttribute('width', String(Math.max(0, to - from) * width))
  }
  const at = (event: PointerEvent) => {
    const box = svg.getBoundingClientRect()
    return Math.min(1, Math.max(0, (event.clientX - box.left) / box.width))
  }

  // The server's `formatMicros` and `tickStep` (`duration.ts`, `ticks.ts`), for the labels of a zoomed axis.
  const trim = (value: number) =>
    value >= 100 ? Math.round(value).toString() : value.toFixed(value >= 10 ? 1 : 2).replace(/\.?0+$/, '')
  const format = (micros: number) => {
    if (micros < 1000) return `${Math.round(micros)}µs`
    if (micros < 1_000_000) return `${trim(micros / 1000)}ms`
    if (micros < 60_000_000) return `${trim(micros / 1_000_000)}s`
    const seconds = Math.round(micros / 1_000_000)
    return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`
  }
  const tickStep = (span: number) => {
    const rough = span / 5
    const power = 10 ** Math.floor(Math.log10(rough))
    return Math.max(1, [1, 2, 5, 10].map((factor) => factor * power).find((step) => step >= rough)!)
  }

  const zoom = (from: number, to: number) => {
    waterfall.style.setProperty('--z0', String(from))
    waterfall.style.setProperty('--zw', String(to - from))
    place(rect('shade-left'), 0, from)
    place(rect('shade-right'), to, 1)
    reset.hidden = from === 0 && to === 1
    const step = tickStep((to - from) * duration)
    const labels: string[] = []
    const lines: string[] = []
    for (let value = Math.ceil((from * duration) / step) * step; value <= to * duration; value += step) {
      const style = `--t:${value / duration}`
      labels.push(`<span class="tick" style="${style}">${value === 0 ? '0' : format(value)}</span>`)
      lines.push(`<i style="${style}"></i>`)
    }
    waterfall.querySelector('.axis-ticks')!.innerHTML = labels.join('')
    waterfall.querySelector('.gridlines')!.innerHTML = lines.join('')
    // A duration label goes after its bar, or inside its right end when the bar reaches the right, or before it.
    for (const text of waterfall.querySelectorAll<HTMLElement>('.bar-text')) {
      const row = text.closest<HTMLElement>('.row')!
      const start = (Number(row.style.getPropertyValue('--s')) - from) / (to - from)
      const span = Number(row.style.getPropertyValue('--w')) / (to - from)
      text.className = `bar-text ${start + span < 0.85 ? 'after' : span >= 0.12 ? 'inside' : 'before'}`
    }
  }

  let anchor: number | undefined
  svg.addEventListener('pointerdown', (event) => {
    anchor = at(event)
    svg.setPointerCapture(event.pointerId)
    place(rect('selection'), anchor, anchor)
  })
  svg.addEventListener('pointermove', (event) => {
    if (anchor === undefined) return
    const here = at(event)
    place(rect('selection'), Math.min(anchor, here), Math.max(anchor, here))
  })
  svg.addEventListener('pointerup', (event) => {
    if (anchor === undefined) return
    const [from, to] = [anchor, at(event)].sort((a, b) => a - b) as [number, number]
    anchor = undefined
    place(rect('selection'), 0, 0)
    // A click is not a drag: too narrow a stretch to zoom to.
    if (to - from > 0.002) zoom(from, to)
  })
  reset.addEventListener('click', () => zoom(0, 1))
}
