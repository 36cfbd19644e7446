import { afterAll, beforeAll, expect, test } from 'bun:test'
import { postOtlp, testCollector } from './helpers.ts'
import { otlpRequest } from './payloads.ts'

// The viewer's pages as the server renders them, without a browser; clicking through them is viewer.test.ts.

const TWO_ROOTS = 'd0000000000000000000000000000001'
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
  expect((await postOtlp(collector.app, request)).status).toBe(200)
})
afterAll(() => collector.close())

async function html(path: string): Promise<string> {
  const response = await collector.app.request(path)
  expect(response.status).toBe(200)
  expect(response.headers.get('content-type')).toContain('text/html')
  return response.text()
}

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
  expect(page).toContain(`start +10ms · duration 200ms · self 50ms`)
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
