/**
 * Find in trace, as you type: rows whose span id, service, operation or any tag, event field or resource attribute
 * holds one of the words are marked. Enter shows the next match (expanding what hides it); on a trace split into
 * pages, Enter asks the server, which searches every page. Inlined as the page's script: self-contained.
 */
export function traceFind(): void {
  const input = document.querySelector<HTMLInputElement>('form.find input[name=find]')
  const count = document.querySelector('.find-count')
  if (!input?.form || !count) return
  const rows = [...document.querySelectorAll<HTMLElement>('.waterfall .row')]
  const paged = Number(input.dataset.pages) > 1
  const texts = new Map<HTMLElement, string>()
  // The same fields the server searches (`find-spans.ts`): the details' `kv` tables hold tags, events, resource.
  const text = (row: HTMLElement) => {
    let found = texts.get(row)
    if (found === undefined) {
      const cells = document.querySelectorAll(`#details-${row.dataset.span} table.kv td`)
      found = [row.dataset.span, row.querySelector('.service')?.textContent, row.querySelector('.name')?.textContent]
        .concat([...cells].map((cell) => cell.textContent))
        .join(' ')
        .toLowerCase()
      texts.set(row, found)
    }
    return found
  }
  let matches = rows.filter((row) => row.classList.contains('match'))
  // Opened from a find (`?find=`, perhaps on another page): the first match here is scrolled to.
  if (!document.querySelector('.row.selected')) matches[0]?.scrollIntoView({ block: 'center' })
  let shown = -1
  let applied = input.value
  const apply = () => {
    applied = input.value
    const terms = applied.toLowerCase().split(/\s+/).filter(Boolean)
    matches = []
    for (const row of rows) {
      const hit = terms.length > 0 && terms.some((term) => text(row).includes(term))
      row.classList.toggle('match', hit)
      row.classList.remove('current-match')
      if (hit) matches.push(row)
    }
    shown = -1
    const noun = matches.length === 1 ? 'span matches' : 'spans match'
    count.textContent = terms.length > 0 ? `${matches.length} ${noun}${paged ? ' on this page' : ''}` : ''
  }
  let timer: ReturnType<typeof setTimeout> | undefined
  input.addEventListener('input', () => {
    clearTimeout(timer)
    timer = setTimeout(apply, 100)
  })
  input.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape') return
    input.value = ''
    apply()
  })
  input.form.addEventListener('submit', (event) => {
    if (paged) return
    event.preventDefault()
    clearTimeout(timer)
    if (input.value !== applied) apply()
    if (matches.length === 0) return
    matches[shown]?.classList.remove('current-match')
    shown = (shown + 1) % matches.length
    const row = matches[shown]!
    row.classList.add('current-match')
    row.dispatchEvent(new Event('reveal', { bubbles: true }))
    row.scrollIntoView({ block: 'center' })
  })
}
