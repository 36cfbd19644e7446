import { afterAll, beforeAll, expect, test } from 'bun:test'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import type { JaegerTrace } from '../../collector/jaeger.ts'
import type { JaegerEnvelope } from '../../collector/jaeger-envelope.ts'
import type { ResourceSpans } from '../../collector/traces-data.ts'
import { launchBrowser } from '../support/browser.ts'
import { bigTrace, bigTraceSpans } from './big-trace.ts'
import { watchEventLoop } from './event-loop.ts'
import { postOtlp, testCollector } from './helpers.ts'

// A generated trace of 50k spans through the viewer, served from this process so its event loop can be watched
// while Chromium loads the pages: each page is bounded (500 rows a page), and no request holds the loop long.

const BIG = 'e0000000000000000000000000000050'
const SPANS = 50_000
const ARTIFACTS = join(import.meta.dir, '../../test-artifacts/viewer')

let collector: Awaited<ReturnType<typeof testCollector>>
let server: ReturnType<typeof Bun.serve>
let browser: Browser
let url: string
beforeAll(async () => {
  collector = await testCollector()
  expect((await postOtlp(collector.app, bigTrace(BIG, SPANS))).status).toBe(200)
  server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: collector.app.fetch })
  url = `http://127.0.0.1:${server.port}`
  browser = await launchBrowser()
  await mkdir(ARTIFACTS, { recursive: true })
  // Posting 50k spans leaves a heap of garbage; collected now, its pause is not counted against a page.
  Bun.gc(true)
}, 120_000)
afterAll(async () => {
  await browser?.close()
  server?.stop(true)
  await collector?.close()
})

/** Loads a page in Chromium while watching the event loop; the time is until the page's `load` event. */
async function load(page: Page, path: string) {
  const watch = watchEventLoop()
  const started = performance.now()
  const response = await page.goto(`${url}${path}`, { waitUntil: 'load', timeout: 30_000 })
  const ms = Math.round(performance.now() - started)
  // Until the last byte arrived: the server's part.
  const serverMs = Math.round(response?.request().timing().responseEnd ?? 0)
  return { status: response?.status(), ms, serverMs, loop: watch.stop() }
}

// The times (under 2 s to open, no request holding the event loop over 100 ms) are goals the bench measures; a test
// on a shared machine prints them and asserts what the user sees.
test('a 50k-span trace opens as a page of 500 rows, paged through the whole trace', async () => {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
  // The first load warms the code up; both are measured.
  const cold = await load(page, `/trace/${BIG}`)
  const warm = await load(page, `/trace/${BIG}?page=2`)
  console.log('50k-span trace page, cold:', cold, 'warm:', warm)
  await page.screenshot({ path: join(ARTIFACTS, 'big-trace.png') })
  expect(cold.status).toBe(200)
  expect(warm.status).toBe(200)

  expect(await page.locator('.waterfall .row').count()).toBe(500)
  expect(await page.locator('.pager').first().textContent()).toContain(`spans 501–1000 of ${SPANS} (page 2 of 100)`)
  expect(await page.locator('.minimap rect.page-band').count()).toBe(1)
  await page.close()
}, 60_000)

test('find searches every page of a big trace and lists the pages with matches', async () => {
  const name = 'step_2_4'
  const expected = bigTraceSpans(SPANS).filter((span) => span.name === name).length
  expect(expected).toBeGreaterThan(0)
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
  const found = await load(page, `/trace/${BIG}?find=${name}`)
  console.log('find in the 50k-span trace:', found)
  expect(found.status).toBe(200)
  expect(await page.locator('.find-count').textContent()).toBe(`${expected} spans match`)
  // The page opened is the first match's, scrolled to it.
  expect(await page.locator('.row.match').count()).toBeGreaterThan(0)
  const first = (await page.locator('.row.match').first().boundingBox())!
  expect(first.y).toBeGreaterThan(0)
  expect(first.y).toBeLessThan(900)
  const listed = await page.locator('.pager').first().locator('.match-pages a').allTextContents()
  const total = listed.reduce((sum, text) => sum + Number(/\((\d+)\)/.exec(text)![1]), 0)
  expect(total).toBe(expected)
  await page.screenshot({ path: join(ARTIFACTS, 'big-trace-find.png') })
  await page.close()
}, 60_000)

test('search, services and a span deep link work with the big trace stored', async () => {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
  const search = await load(page, '/?lookback=1h')
  expect(await page.locator('li.result').count()).toBe(1)
  expect(await page.locator('li.result .meta').first().textContent()).toContain(`${SPANS} spans`)
  const services = await load(page, '/services?kind=all')
  expect(await page.locator('table.stats tr.service').count()).toBe(6)
  const deep = await load(page, `/trace/${BIG}?span=e00000000000c34f`)
  console.log('with 50k spans stored: search', search, 'services', services, 'span link', deep)
  for (const { status } of [search, services, deep]) expect(status).toBe(200)
  // The linked span (the last one generated) is on its page, focused, its details open.
  expect(await page.evaluate(() => document.activeElement?.getAttribute('data-span'))).toBe('e00000000000c34f')
  expect(await page.locator('#details-e00000000000c34f').isVisible()).toBe(true)
}, 60_000)

test("the whole 50k-span trace through Jaeger's APIs, as Grafana and Jaeger UI load it", async () => {
  const fetchJson = async (path: string) => {
    const watch = watchEventLoop()
    const response = await fetch(`${url}${path}`)
    expect(response.status).toBe(200)
    const text = await response.text()
    // How long the collector held its event loop at most meanwhile: one slice's work, not the whole trace's.
    console.log(path, { megabytes: Math.round(text.length / 1e6), loop: watch.stop() })
    return JSON.parse(text)
  }
  const v1 = (await fetchJson(`/api/traces/${BIG}`)) as JaegerEnvelope<JaegerTrace[]>
  expect(v1.data).toHaveLength(1)
  expect(new Set(v1.data[0]!.spans.map((span) => span.spanID)).size).toBe(SPANS)
  expect(
    Object.values(v1.data[0]!.processes)
      .map((process) => process.serviceName)
      .sort(),
  ).toEqual(['gateway', 'inventory', 'order', 'payment', 'search', 'shipping'])
  for (const span of v1.data[0]!.spans) expect(v1.data[0]!.processes[span.processID]).toBeDefined()

  const v3 = (await fetchJson(`/api/v3/traces/${BIG}`)) as { result: { resourceSpans: ResourceSpans[] } }
  const spans = v3.result.resourceSpans.flatMap((resource) => resource.scopeSpans.flatMap((scope) => scope.spans))
  expect(new Set(spans.map((span) => span.spanId)).size).toBe(SPANS)
}, 60_000)
