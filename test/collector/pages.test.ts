import { afterAll, beforeAll, expect, test } from 'bun:test'
import { postOtlp, testCollector } from './helpers.ts'
import { FAILED_TRACE, failedOrder, otlpRequest } from './payloads.ts'
import { latencyTraces, parallelOrder } from './viewer-fixtures.ts'

// The viewer's pages as the server renders them, without a browser; clicking through them is viewer.test.ts.

const TWO_ROOTS = 'd0000000000000000000000000000001'
const PARALLEL = 'c1000000000000000000000000000001'
const EARLY_ROOT = 'd000000000000001'
const LONG_ROOT = 'd000000000000002'

// A minute ago, to the millisecond, so the pages' times can be written out.
const startMillis = Math.floor(Date.now() / 1000) * 1000 - 60_000
const request = otlpRequest(
  TWO_ROOTS,
  [
    { id: EARLY_ROOT, service: 'worker', name: 'poll', at: 0, ms: 30 },
    { id: LONG_ROOT, parent: 'd0000000000000ff', service: 'api', name: 'POST /import', at: 10, ms: 200 },
    { id: 'd000000000000003', parent: LONG_ROOT, service: 'api', name: 'parse', at: 20, ms: 150 },
  ],
  BigInt(startMillis) * 1_000_000n,
)

let collector: Awaited<ReturnType<typeof testCollector>>
beforeAll(async () => {
  collector = await testCollector()
  for (const body of [request, failedOrder(FAILED_TRACE), parallelOrder(PARALLEL), latencyTraces(100)])
    expect((await postOtlp(collector.app, body)).status).toBe(200)
})
afterAll(() => collector.close())

async function html(path: string, status = 200): Promise<string> {
  const response = await collector.app.request(path)
  expect(response.status).toBe(status)
  expect(response.headers.get('content-type')).toContain('text/html')
  return response.text()
}

const count = (page: string, pattern: RegExp) => page.match(new RegExp(pattern, 'g'))?.length ?? 0

test('a trace whose parent span never arrived is named by its longest root, and its critical path starts there', async () => {
  expect(await html('/?service=api')).toContain(`<a href="/trace/${TWO_ROOTS}">api: POST /import</a>`)
  const page = await html(`/trace/${TWO_ROOTS}`)
  expect(page).toContain(`class="row critical" data-span="${LONG_ROOT}"`)
  expect(page).toContain(`class="row" data-span="${EARLY_ROOT}"`)
})

test('a trace shows when it started, and each span when it started after that', async () => {
  const started = new Date(startMillis).toISOString()
  expect(await html('/?service=worker')).toContain(`210ms · 3 spans · ${started} · ${TWO_ROOTS}`)
  const page = await html(`/trace/${TWO_ROOTS}`)
  expect(page).toContain(`210ms · 3 spans · started ${started} ·`)
  expect(page).toContain(`start +10ms · duration 200ms · self 50ms · 50ms on the critical path`)
})

test('spans whose parents loop back to them are still shown, not a 500', async () => {
  const loops = 'd0000000000000000000000000000002'
  const request = otlpRequest(loops, [
    { id: 'd000000000000011', parent: 'd000000000000011', service: 'loop', name: 'own parent', at: 0, ms: 50 },
    { id: 'd000000000000012', parent: 'd000000000000013', service: 'loop', name: 'first of two', at: 5, ms: 20 },
    { id: 'd000000000000013', parent: 'd000000000000012', service: 'loop', name: 'second of two', at: 10, ms: 10 },
  ])
  expect((await postOtlp(collector.app, request)).status).toBe(200)
  expect(await html('/?service=loop')).toContain(`<a href="/trace/${loops}">loop: own parent</a>`)
  const page = await html(`/trace/${loops}`)
  for (const id of ['d000000000000011', 'd000000000000012', 'd000000000000013'])
    expect(page).toContain(`data-span="${id}"`)
})

test('a bad search is its form again with what is wrong (400); an unknown trace is a page too (404), a bad id a 400', async () => {
  const bad = await html('/?service=payment&minDuration=soon', 400)
  expect(bad).toContain('minDuration: not a duration like 1s or 250ms')
  expect(bad).toContain('<option value="payment" selected="">payment</option>')
  expect(bad).toContain('value="soon"')
  expect(await html('/?tags=http.route', 400)).toContain('tags: expected key=value pairs, got http.route')
  expect(await html('/?lookback=custom&start=yesterday', 400)).toContain('start: not a date and time')
  const missing = await html('/trace/0123456789abcdef0123456789abcdef', 404)
  expect(missing).toContain('404 · Not found')
  expect(missing).toContain('trace 0123456789abcdef0123456789abcdef not found')
  expect(await html('/trace/xyz', 400)).toContain('not a trace id: xyz')
})

test('the operation is chosen from the service’s operations; tags are logfmt; durations and time bound the search', async () => {
  const order = await html('/?service=order')
  for (const name of ['POST /orders', 'calculate_price', 'check_inventory', 'create_payment'])
    expect(order).toContain(`<option value="${name}">${name}</option>`)
  expect(await html('/')).toContain('<select name="operation" disabled="">')
  const found = (page: string) => [...page.matchAll(/<a href="\/trace\/(\w+)">/g)].map((match) => match[1])
  expect(found(await html('/?service=order&operation=calculate_price'))).toEqual([PARALLEL])
  expect(found(await html(`/?tags=${encodeURIComponent('payment.provider="acme pay"')}`))).toEqual([PARALLEL])
  expect(found(await html('/?service=gateway&minDuration=300ms&maxDuration=1s'))).toEqual([PARALLEL])
  expect(found(await html('/?service=gateway&errors=on'))).toEqual([FAILED_TRACE])
  const hourAgo = new Date(Date.now() - 3_600_000).toISOString().slice(0, 19)
  const halfHourAgo = new Date(Date.now() - 1_800_000).toISOString().slice(0, 19)
  expect(found(await html(`/?service=gateway&lookback=custom&start=${hourAgo}&end=${halfHourAgo}`))).toEqual([])
  expect(found(await html(`/?service=gateway&lookback=custom&start=${hourAgo}`)).sort()).toEqual(
    [PARALLEL, FAILED_TRACE].sort(),
  )
  expect(found(await html('/?service=gateway&lookback=5m&sort=longest'))).toEqual([FAILED_TRACE, PARALLEL])
})

test('the scatter draws a dot a trace found, each a link to its trace', async () => {
  const page = await html('/?service=gateway')
  const dots = [...page.matchAll(/<a href="\/trace\/(\w+)" class="dot-link"><circle [^>]*data-trace="(\w+)"/g)]
  expect(dots.map((dot) => dot[1]).sort()).toEqual([PARALLEL, FAILED_TRACE].sort())
  expect(dots.every((dot) => dot[1] === dot[2])).toBe(true)
  expect(count(page, /<circle[^>]*class="error"/)).toBe(1)
})

test('a trace page has a time axis with ticks, a minimap, event marks, and Jaeger’s critical path', async () => {
  const page = await html(`/trace/${PARALLEL}`)
  const axis = page.slice(page.indexOf('<div class="axis-ticks">'), page.indexOf('<div class="gridlines"'))
  expect([...axis.matchAll(/<span class="tick"[^>]*>([^<]+)<\/span>/g)].map((tick) => tick[1])).toEqual([
    '0',
    '100ms',
    '200ms',
    '300ms',
    '400ms',
  ])
  expect(count(page, /<svg viewBox="0 0 1000 7"/)).toBe(1)
  expect(count(page, /<rect x="\d+" y="\d+" width="\d+" height="1" fill="#/)).toBe(7)
  expect(count(page, /<i class="mark"[^>]*title="provider.request \+10ms"/)).toBe(1)
  // check_inventory overlaps calculate_price, which finishes last: only calculate_price is on the path.
  const critical = [...page.matchAll(/class="row critical[^"]*" data-span="(\w+)"/g)].map((row) => row[1])
  expect(critical).toEqual([
    'c100000000000001',
    'c100000000000002',
    'c100000000000005',
    'c100000000000006',
    'c100000000000007',
  ])
})

test('find on the server marks and counts the matching spans; a span link opens its details', async () => {
  const page = await html(`/trace/${PARALLEL}?find=${encodeURIComponent('ACME check')}`)
  expect(page).toContain('<output class="find-count">3 spans match</output>')
  const matches = [...page.matchAll(/class="row[^"]*\bmatch\b[^"]*" data-span="(\w+)"/g)].map((row) => row[1])
  expect(matches).toEqual(['c100000000000003', 'c100000000000004', 'c100000000000007'])
  const linked = await html(`/trace/${PARALLEL}?span=c100000000000004`)
  expect(linked).toContain('class="row selected" data-span="c100000000000004"')
  expect(linked).toContain('<div class="details" id="details-c100000000000004">')
  expect(count(linked, /<div class="details hidden"/)).toBe(6)
})

test('services: rate, error share and p50/p95/p99 per service and operation, each linking to its traces', async () => {
  const page = await html('/services?window=1h')
  const row = page.slice(page.indexOf('<tr class="operation" data-operation="quote" data-service="pricing">'))
  const cells = [...row.slice(0, row.indexOf('</tr>')).matchAll(/<td[^>]*>(?:<a[^>]*>)?([^<]*)/g)].map(
    (cell) => cell[1],
  )
  expect(cells).toEqual(['quote', '100', '1.7/min', '10%', '50ms', '95ms', '99ms'])
  expect(row).toContain('href="/?service=pricing&amp;operation=quote&amp;lookback=1h&amp;errors=on"')
  expect(row).toContain('href="/?service=pricing&amp;operation=quote&amp;lookback=1h&amp;minDuration=99000us"')
  // Server spans by default: the order's internal steps are not operations here, unless all spans are asked for.
  expect(page).not.toContain('data-operation="calculate_price"')
  expect(await html('/services?window=1h&kind=all')).toContain('data-operation="calculate_price"')
  const slowest = await html('/?service=pricing&operation=quote&lookback=1h&minDuration=99000us')
  expect(count(slowest, /<li class="result">/)).toBe(2)
})

test('a window or a kind the pages do not offer is a 400 page naming the choices; none asked is the default', async () => {
  expect(await html('/services?window=2d', 400)).toContain('window: one of 5m, 15m, 1h, 6h, 24h, not 2d')
  expect(await html('/map?window=bogus', 400)).toContain('window: one of 5m, 15m, 1h, 6h, 24h, not bogus')
  expect(await html('/services?kind=spans', 400)).toContain(
    'kind: one of server, consumer, client, producer, internal, all, not spans',
  )
  const defaults = await html('/services?window=&kind=')
  expect(defaults).toContain('<tr class="operation" data-operation="quote" data-service="pricing">')
  expect(defaults).not.toContain('data-operation="calculate_price"')
})

test('the service map: services, and the calls between them with their rate and error share', async () => {
  const page = await html('/map?window=1h')
  const edges = [
    ...page.matchAll(
      /<tr data-edge="([^"]+)"><td><a[^>]*>[^<]*<\/a><\/td><td>(\d+)<\/td><td class="rate">([^<]+)<\/td><td class="errors"><a[^>]*>([^<]+)</g,
    ),
  ]
  expect(edges.map((edge) => edge.slice(1))).toEqual([
    ['gateway→order', '2', '0.033/min', '50%'],
    ['order→inventory', '2', '0.033/min', '0%'],
    ['order→payment', '2', '0.033/min', '50%'],
  ])
  for (const service of ['gateway', 'order', 'inventory', 'payment', 'pricing'])
    expect(page).toContain(`class="node" data-service="${service}"`)
  expect(count(page, /class="edge failing"/)).toBe(2)
})
