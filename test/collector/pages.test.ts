import { afterAll, beforeAll, expect, test } from 'bun:test'
import { postOtlp, testCollector } from './helpers.ts'
import { otlpRequest } from './payloads.ts'

// The viewer's pages as the server renders them, without a browser; clicking through them is viewer.test.ts.

let collector: Awaited<ReturnType<typeof testCollector>>
beforeAll(async () => {
  collector = await testCollector()
})
afterAll(() => collector.close())

const TWO_ROOTS = 'd0000000000000000000000000000001'
const EARLY_ROOT = 'd000000000000001'
const LONG_ROOT = 'd000000000000002'

async function html(path: string): Promise<string> {
  const response = await collector.app.request(path)
  expect(response.status).toBe(200)
  expect(response.headers.get('content-type')).toContain('text/html')
  return response.text()
}

test('a trace whose parent span never arrived is named by its longest root, and its critical path starts there', async () => {
  const request = otlpRequest(TWO_ROOTS, [
    { id: EARLY_ROOT, service: 'worker', name: 'poll', at: 0, ms: 30 },
    { id: LONG_ROOT, parent: 'd0000000000000ff', service: 'api', name: 'POST /import', at: 10, ms: 200 },
    { id: 'd000000000000003', parent: LONG_ROOT, service: 'api', name: 'parse', at: 20, ms: 150 },
  ])
  expect((await postOtlp(collector.app, request)).status).toBe(200)

  expect(await html('/?service=api')).toContain(`<a href="/trace/${TWO_ROOTS}">api: POST /import</a>`)
  const page = await html(`/trace/${TWO_ROOTS}`)
  expect(page).toContain(`class="row critical" data-span="${LONG_ROOT}"`)
  expect(page).toContain(`class="row" data-span="${EARLY_ROOT}"`)
})
