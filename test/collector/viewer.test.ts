import { afterAll, beforeAll, expect, test } from 'bun:test'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { launchBrowser } from '../support/browser.ts'
import { startCollectorProcess } from './helpers.ts'
import { FAILED_TRACE, failedOrder, PAID_TRACE, paidOrder } from './payloads.ts'
import { latencyTraces, parallelOrder } from './viewer-fixtures.ts'

// The viewer in headless Chromium against the real collector process, asserting what a person sees; screenshots of
// each page are kept in test-artifacts/viewer/ (git-ignored) to look at.

const PARALLEL = 'c1000000000000000000000000000001'
const ARTIFACTS = join(import.meta.dir, '../../test-artifacts/viewer')

let collector: Awaited<ReturnType<typeof startCollectorProcess>>
let browser: Browser
beforeAll(async () => {
  collector = await startCollectorProcess()
  for (const request of [
    failedOrder(FAILED_TRACE),
    paidOrder(PAID_TRACE),
    parallelOrder(PARALLEL),
    latencyTraces(40),
  ]) {
    await fetch(`${collector.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(request),
    })
  }
  browser = await launchBrowser()
  await mkdir(ARTIFACTS, { recursive: true })
}, 60_000)
afterAll(async () => {
  await browser?.close()
  await collector.stop()
})

const open = async (path: string) => {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
  await page.goto(`${collector.url}${path}`)
  return page
}
const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true })
const focused = (page: Page) => page.evaluate(() => document.activeElement?.getAttribute('data-span'))
const visibleRows = (page: Page) => page.locator('.row:not(.hidden)').count()

test('search, open a trace, see the failing span and its message', async () => {
  const page = await open('/')
  await page.selectOption('select[name=service]', 'payment')
  await page.fill('input[name=minDuration]', '1s')
  await page.check('input[name=errors]')
  await page.click('button[type=submit]')
  await page.waitForURL(/service=payment/)
  const results = page.locator('li.result')
  expect(await results.count()).toBe(1)
  expect(await results.first().textContent()).toContain(FAILED_TRACE)

  await results.first().locator('a').click()
  await page.waitForURL(`**/trace/${FAILED_TRACE}`)
  const failing = page.locator('.row[data-span="a000000000000007"]')
  expect(await failing.locator('.name').textContent()).toBe('payment.create')
  expect(await failing.locator('.status-message').textContent()).toBe('TIMEOUT')
  expect(await failing.getAttribute('class')).toContain('critical')

  const details = page.locator('#details-a000000000000007')
  expect(await details.isVisible()).toBe(false)
  await failing.click()
  expect(await details.isVisible()).toBe(true)
  const text = await details.textContent()
  expect(text).toContain('Status: ERROR TIMEOUT')
  expect(text).toContain('error.type')
  expect(text).toContain('retry_attempt')
  expect(text).toContain('Resource: payment')
  await shot(page, 'trace-details')

  // Collapsing create_payment hides payment.create below it.
  await page.locator('.row[data-span="a000000000000006"] .toggle').click()
  expect(await failing.isVisible()).toBe(false)
  await page.close()
})

test('deep links by trace id, from the jump box too', async () => {
  const page = await open(`/trace/${PAID_TRACE}`)
  expect(await page.locator('.row').count()).toBe(3)
  await page.fill('header input[name=id]', FAILED_TRACE)
  await page.press('header input[name=id]', 'Enter')
  await page.waitForURL(`**/trace/${FAILED_TRACE}`)
  expect(await page.locator('.row').count()).toBe(7)
  await page.close()
})

test('every service of a trace has its own colour, the same in the legend, the rows, the bars and the minimap', async () => {
  const page = await open(`/trace/${FAILED_TRACE}`)
  await shot(page, 'trace')
  const legend = await page.$$eval('.legend .legend-item', (items) =>
    items.map((item) => [item.textContent!.trim(), getComputedStyle(item.querySelector('.dot')!).backgroundColor]),
  )
  expect(legend.map(([service]) => service)).toEqual(['gateway', 'inventory', 'order', 'payment'])
  expect(new Set(legend.map(([, color]) => color)).size).toBe(4)
  const colors = new Map(legend as [string, string][])
  const rows = await page.$$eval('.row', (rows) =>
    rows.map((row) => [
      row.querySelector('.service')!.textContent!,
      getComputedStyle(row.querySelector('.dot')!).backgroundColor,
      getComputedStyle(row.querySelector('.bar')!).backgroundColor,
    ]),
  )
  for (const [service, dot, bar] of rows) {
    expect(dot).toBe(colors.get(service!)!)
    expect(bar).toBe(colors.get(service!)!)
  }
  const minimap = await page.$$eval('.minimap rect[fill]', (rects) => rects.map((rect) => getComputedStyle(rect).fill))
  expect(minimap).toEqual(rows.map(([, dot]) => dot!))
  // The search page colours the services as the trace page does.
  await page.goto(`${collector.url}/?service=inventory`)
  const searchColors = await page.$$eval('li.result .meta > span', (spans) =>
    spans.map((span) => [span.textContent!.trim(), getComputedStyle(span.querySelector('.dot')!).backgroundColor]),
  )
  for (const [service, color] of searchColors) expect(color).toBe(colors.get(service!)!)
  await page.close()
})

test('a time axis with ticks, a minimap to zoom with, event marks on the bars, and the critical path', async () => {
  const page = await open(`/trace/${PARALLEL}`)
  const ticks = () => page.locator('.axis-ticks .tick').allTextContents()
  expect(await ticks()).toEqual(['0', '100ms', '200ms', '300ms', '400ms'])
  const mark = page.locator('.row[data-span="c100000000000007"] .mark')
  expect(await mark.getAttribute('title')).toBe('provider.request +10ms')
  expect(await mark.isVisible()).toBe(true)
  // Of the overlapping check_inventory and calculate_price only the one finishing last is on the path.
  expect(await page.locator('.row[data-span="c100000000000003"]').getAttribute('class')).not.toContain('critical')
  expect(await page.locator('.row[data-span="c100000000000005"]').getAttribute('class')).toContain('critical')
  expect(await page.locator('.row[data-span="c100000000000005"] .path').count()).toBe(1)

  // Dragging across the first quarter of the minimap zooms to the first 100 ms.
  const box = (await page.locator('.minimap svg').boundingBox())!
  await page.mouse.move(box.x + 1, box.y + box.height / 2)
  await page.mouse.down()
  await page.mouse.move(box.x + box.width * 0.125, box.y + box.height / 2, { steps: 4 })
  await page.mouse.move(box.x + box.width * 0.25, box.y + box.height / 2, { steps: 4 })
  await page.mouse.up()
  const zoomed = await ticks()
  expect(zoomed.slice(0, 4)).toEqual(['20ms', '40ms', '60ms', '80ms'])
  expect(zoomed).not.toContain('200ms')
  expect(await page.locator('[data-action=reset-zoom]').isVisible()).toBe(true)
  // payment.create starts at 200 ms: out of view to the right.
  const timeline = (await page.locator('.row[data-span="c100000000000007"] .timeline').boundingBox())!
  const bar = (await page.locator('.row[data-span="c100000000000007"] .bar').boundingBox())!
  expect(bar.x).toBeGreaterThan(timeline.x + timeline.width)
  await shot(page, 'trace-zoomed')
  await page.click('[data-action=reset-zoom]')
  expect(await ticks()).toEqual(['0', '100ms', '200ms', '300ms', '400ms'])
  expect(await page.locator('[data-action=reset-zoom]').isVisible()).toBe(false)
  await page.close()
})

test('rows are reached and moved between with the keyboard; Enter opens details', async () => {
  const page = await open(`/trace/${FAILED_TRACE}`)
  // One row in the tab order: Tab from the last toolbar button lands on the first row.
  expect(await page.locator('.row[tabindex="0"]').count()).toBe(1)
  await page.focus('[data-action=collapse-all]')
  await page.keyboard.press('Tab')
  expect(await focused(page)).toBe('a000000000000001')
  await page.keyboard.press('ArrowDown')
  await page.keyboard.press('ArrowDown')
  expect(await focused(page)).toBe('a000000000000003')
  expect(await page.locator('.row[tabindex="0"]').getAttribute('data-span')).toBe('a000000000000003')
  // Left collapses check_inventory, then goes to its parent; right goes back down, then expands it again.
  await page.keyboard.press('ArrowLeft')
  expect(await page.locator('.row[data-span="a000000000000004"]').isVisible()).toBe(false)
  await page.keyboard.press('ArrowLeft')
  expect(await focused(page)).toBe('a000000000000002')
  await page.keyboard.press('ArrowRight')
  expect(await focused(page)).toBe('a000000000000003')
  await page.keyboard.press('ArrowRight')
  expect(await page.locator('.row[data-span="a000000000000004"]').isVisible()).toBe(true)
  await page.keyboard.press('Enter')
  expect(await page.locator('#details-a000000000000003').isVisible()).toBe(true)
  await page.keyboard.press('End')
  expect(await focused(page)).toBe('a000000000000007')
  await page.keyboard.press('ArrowUp')
  expect(await focused(page)).toBe('a000000000000006')
  await page.keyboard.press('Home')
  expect(await focused(page)).toBe('a000000000000001')
  await shot(page, 'trace-keyboard')
  await page.close()
})

test('expand and collapse all, and a whole subtree with shift-click', async () => {
  const page = await open(`/trace/${FAILED_TRACE}`)
  await page.click('[data-action=collapse-all]')
  expect(await visibleRows(page)).toBe(1)
  await page.click('[data-action=expand-all]')
  expect(await visibleRows(page)).toBe(7)
  // Shift-click collapses order_service.create_order and everything below it...
  await page.locator('.row[data-span="a000000000000002"] .toggle').click({ modifiers: ['Shift'] })
  expect(await visibleRows(page)).toBe(2)
  // ...so a plain click opens one level: its children show, theirs stay collapsed.
  await page.locator('.row[data-span="a000000000000002"] .toggle').click()
  expect(await visibleRows(page)).toBe(5)
  expect(await page.locator('.row[data-span="a000000000000007"]').isVisible()).toBe(false)
  await page.locator('.row[data-span="a000000000000002"] .toggle').click({ modifiers: ['Shift'] })
  await page.locator('.row[data-span="a000000000000002"] .toggle').click({ modifiers: ['Shift'] })
  expect(await visibleRows(page)).toBe(7)
  await page.close()
})

test('find highlights spans by name, attribute, event or service as you type; Enter shows the next match', async () => {
  const page = await open(`/trace/${FAILED_TRACE}`)
  const matches = () =>
    page.locator('.row.match').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-span')))
  const find = page.locator('input[name=find]')
  await find.fill('retry_attempt')
  await page.waitForFunction(() => document.querySelector('.find-count')?.textContent === '1 span matches')
  expect(await matches()).toEqual(['a000000000000007'])
  await find.fill('items.count inventory')
  await page.waitForFunction(() => document.querySelector('.find-count')?.textContent === '2 spans match')
  expect(await matches()).toEqual(['a000000000000003', 'a000000000000004'])
  const background = (id: string) =>
    page.locator(`.row[data-span="${id}"]`).evaluate((row) => getComputedStyle(row).backgroundColor)
  expect(await background('a000000000000004')).not.toBe(await background('a000000000000005'))
  await shot(page, 'trace-find')

  // A match inside a collapsed subtree is shown when Enter gets to it.
  await page.locator('.row[data-span="a000000000000006"] .toggle').click()
  await find.fill('amount')
  await find.press('Enter')
  expect(await page.locator('.row[data-span="a000000000000007"]').isVisible()).toBe(true)
  expect(await page.locator('.row[data-span="a000000000000007"]').getAttribute('class')).toContain('current-match')
  await find.press('Escape')
  expect(await matches()).toEqual([])
  await page.close()
})

test('search: operations of the chosen service, time range, and a scatter with a dot a trace, each a link', async () => {
  const page = await open('/?lookback=1h')
  const operations = () => page.locator('select[name=operation] option').allTextContents()
  expect(await operations()).toEqual(['all operations'])
  await page.selectOption('select[name=service]', 'order')
  await page.waitForFunction(() => document.querySelectorAll('select[name=operation] option').length > 1)
  expect(await operations()).toEqual([
    'all operations',
    'POST /orders',
    'calculate_price',
    'check_inventory',
    'create_order_record',
    'create_payment',
    'order_service.create_order',
  ])
  expect(await page.locator('input[name=start]').isVisible()).toBe(false)
  await page.selectOption('select[name=lookback]', 'custom')
  expect(await page.locator('input[name=start]').isVisible()).toBe(true)
  await page.selectOption('select[name=lookback]', '1h')
  await page.selectOption('select[name=operation]', 'create_payment')
  await page.click('button[type=submit]')
  await page.waitForURL(/operation=create_payment/)
  expect(await page.locator('li.result').count()).toBe(2)

  await page.goto(`${collector.url}/?lookback=1h&limit=50`)
  const results = await page
    .locator('li.result > a')
    .evaluateAll((links) => links.map((link) => link.getAttribute('href')))
  const dots = await page
    .locator('.scatter a')
    .evaluateAll((links) => links.map((link) => [link.getAttribute('href'), link.querySelector('circle')?.tagName]))
  expect(results).toHaveLength(43)
  expect(dots.map(([href]) => href).sort()).toEqual([...results].sort())
  expect(dots.every(([, circle]) => circle === 'circle')).toBe(true)
  await shot(page, 'search')
  await page.locator(`.scatter a[href="/trace/${FAILED_TRACE}"] circle`).click()
  await page.waitForURL(`**/trace/${FAILED_TRACE}`)
  await page.close()
})

test('a bad duration and an unknown trace are readable pages with their status, not JSON', async () => {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
  const bad = await page.goto(`${collector.url}/?service=payment&minDuration=fast`)
  expect(bad?.status()).toBe(400)
  expect(await page.locator('.form-error').textContent()).toContain('minDuration: not a duration like 1s or 250ms')
  expect(await page.locator('input[name=minDuration]').inputValue()).toBe('fast')
  await shot(page, 'search-error')
  const missing = await page.goto(`${collector.url}/trace/0123456789abcdef0123456789abcdef`)
  expect(missing?.status()).toBe(404)
  expect(await page.locator('.error-page h2').textContent()).toBe('404 · Not found')
  expect(await page.locator('.error-page .message').textContent()).toBe(
    'trace 0123456789abcdef0123456789abcdef not found',
  )
  await shot(page, 'trace-not-found')
  await page.close()
})

test('services: rate, errors and percentiles per operation, linking to the traces; the service map', async () => {
  const page = await open('/services?window=1h')
  const quote = page.locator('tr[data-service="pricing"][data-operation="quote"]')
  expect(await quote.locator('td').allTextContents()).toEqual([
    'quote',
    '40',
    '0.67/min',
    '10%',
    '20ms',
    '38ms',
    '40ms',
  ])
  await shot(page, 'services')
  await quote.locator('td.p99 a').click()
  await page.waitForURL(/minDuration=40000us/)
  expect(await page.locator('li.result').count()).toBe(1)

  await page.goto(`${collector.url}/map?window=1h`)
  expect(await page.locator('.service-map .node').count()).toBe(5)
  expect(await page.locator('tr[data-edge="order→payment"] td').allTextContents()).toEqual([
    'order calls payment',
    '3',
    '0.05/min',
    '33%',
  ])
  const strokes = await page.$$eval('.service-map .node rect', (rects) =>
    rects.map((rect) => getComputedStyle(rect).stroke),
  )
  expect(new Set(strokes).size).toBe(5)
  await shot(page, 'service-map')
  await page.close()
})
