/**
 * The waterfall's tree in the browser: collapsing subtrees (shift-click for every level below), expand and collapse
 * all, opening a span's details, and moving between rows with the keyboard (one row in the tab order at a time).
 * A row's subtree is the rows after it that are deeper (`data-depth`), so every change is one pass over the rows.
 * Runs as the page's script: it must not use anything outside itself (`assets.ts` inlines its source).
 */
export function traceTree(): void {
  const waterfall = document.querySelector<HTMLElement>('.waterfall')
  if (!waterfall) return
  const rows = [...waterfall.querySelectorAll<HTMLElement>('.row')]
  const indexOf = new Map(rows.map((row, index) => [row, index]))
  const depth = (row: HTMLElement) => Number(row.dataset.depth)
  const details = (row: HTMLElement) => document.getElementById(`details-${row.dataset.span}`)!
  const hasChildren = (row: HTMLElement) => row.hasAttribute('aria-expanded')
  const collapsed = (row: HTMLElement) => row.getAttribute('aria-expanded') === 'false'
  const visible = (row: HTMLElement) => !row.classList.contains('hidden')

  /** Hides every row below a collapsed one, shows the others. */
  const refresh = () => {
    let hiddenBelow = Number.POSITIVE_INFINITY
    for (const row of rows) {
      const level = depth(row)
      if (level <= hiddenBelow) hiddenBelow = Number.POSITIVE_INFINITY
      const hidden = level > hiddenBelow
      row.classList.toggle('hidden', hidden)
      if (hidden) details(row).classList.add('hidden')
      else if (collapsed(row)) hiddenBelow = level
    }
  }
  const mark = (row: HTMLElement, collapse: boolean) => {
    if (!hasChildren(row)) return
    row.setAttribute('aria-expanded', String(!collapse))
    row.querySelector('.toggle')!.setAttribute('aria-label', collapse ? 'expand' : 'collapse')
  }
  const setCollapsed = (row: HTMLElement, collapse: boolean, wholeSubtree: boolean) => {
    mark(row, collapse)
    if (wholeSubtree)
      for (let index = indexOf.get(row)! + 1; index < rows.length && depth(rows[index]!) > depth(row); index++)
        mark(rows[index]!, collapse)
    refresh()
  }

  let current = rows.find((row) => row.tabIndex === 0) ?? rows[0]
  const focus = (row: HTMLElement | undefined) => {
    if (!row) return
    if (current) current.tabIndex = -1
    row.tabIndex = 0
    current = row
    row.focus()
  }
  const step = (from: HTMLElement, delta: number) => {
    for (let index = indexOf.get(from)! + delta; index >= 0 && index < rows.length; index += delta)
      if (visible(rows[index]!)) return rows[index]
    return undefined
  }
  const parentOf = (row: HTMLElement) => {
    for (let index = indexOf.get(row)! - 1; index >= 0; index--)
      if (depth(rows[index]!) < depth(row)) return rows[index]
    return undefined
  }
  /** Expands the collapsed rows above `row` so it shows. */
  const reveal = (row: HTMLElement) => {
    for (let above = parentOf(row); above; above = parentOf(above)) if (collapsed(above)) mark(above, false)
    refresh()
  }

  waterfall.addEventListener('keydown', (event) => {
    const row = event.target as HTMLElement
    if (!indexOf.has(row)) return
    let next: HTMLElement | undefined
    if (event.key === 'ArrowDown') next = step(row, 1)
    else if (event.key === 'ArrowUp') next = step(row, -1)
    else if (event.key === 'Home') next = rows.find(visible)
    else if (event.key === 'End') next = rows.filter(visible).at(-1)
    else if (event.key === 'ArrowRight') {
      if (collapsed(row)) setCollapsed(row, false, event.shiftKey)
      else if (hasChildren(row)) next = step(row, 1)
    } else if (event.key === 'ArrowLeft') {
      if (hasChildren(row) && !collapsed(row)) setCollapsed(row, true, event.shiftKey)
      else next = parentOf(row)
    } else if (event.key === 'Enter' || event.key === ' ') details(row).classList.toggle('hidden')
    else return
    event.preventDefault()
    focus(next)
  })
  waterfall.addEventListener('click', (event) => {
    const target = event.target as Element
    const row = target.closest<HTMLElement>('.row')
    if (!row) return
    if (target.closest('button.toggle')) setCollapsed(row, !collapsed(row), event.shiftKey)
    else details(row).classList.toggle('hidden')
    focus(row)
  })
  // The find script asks for a match inside a collapsed subtree to be shown.
  waterfall.addEventListener('reveal', (event) => reveal(event.target as HTMLElement))
  for (const [action, collapse] of [
    ['expand-all', false],
    ['collapse-all', true],
  ] as const) {
    document.querySelector(`[data-action=${action}]`)?.addEventListener('click', () => {
      for (const row of rows) mark(row, collapse)
      refresh()
    })
  }
  // A link to a span (`?span=`) opens the page at its row.
  const selected = waterfall.querySelector<HTMLElement>('.row.selected')
  if (selected) {
    selected.scrollIntoView({ block: 'center' })
    focus(selected)
  }
}
