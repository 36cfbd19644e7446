import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { JaegerTrace } from '../../collector/jaeger.ts'
import { findTraceIds } from '../../collector/query.ts'
import { findTraceIdsInSlices } from '../../collector/sliced-search.ts'
import { nowNanos, postOtlp, testCollector } from './helpers.ts'

const TRACES = 3_000
const SPANS_PER_TRACE = 6
const hex = (n: number, length: number) => n.toString(16).padStart(length, '0')
const traceId = (trace: number) => hex(trace + 1, 32)

type Attribute = { key: string; value: Record<string, unknown> }
/** The attributes of span `index` of trace `trace`: values the tag search must match exactly as Jaeger does. */
function attributes(trace: number, index: number): Attribute[] {
  const list: Attribute[] = [
    { key: 'http.route', value: { stringValue: `/api/${index}` } },
    { key: 'items.count', value: { intValue: String((trace + index) % 7) } },
    { key: 'ratio', value: { doubleValue: index === 2 ? 0.5 : 1.25 } },
    { key: 'cached', value: { boolValue: trace % 3 === 0 } },
  ]
  if (index === 0) list.push({ key: 'order.id', value: { stringValue: `ord-${hex(trace, 6)}` } })
  if (trace % 97 === 0) list.push({ key: 'note', value: { stringValue: 'say "hi"' } })
  if (trace % 89 === 0) list.push({ key: 'error', value: { boolValue: true } })
  return list
}

/** Span `index` of trace `trace` lasts 1 to 13 ms; span 5 of every 1000th trace lasts a second. */
function durationMs(trace: number, index: number): number {
  return index === 5 && trace % 1000 === 0 ? 1000 : 1 + ((trace * 7 + index) % 13)
}

/** Trace `trace` has spans of two services (its resource telling its region); every 50th has a span in error. */
function request(first: number, count: number) {
  const base = nowNanos() - 3_600_000_000_000n
  const services = ['front', 'back']
  return {
    resourceSpans: services.map((service, serviceIndex) => ({
      resource: {
        attributes: [
          { key: 'service.name', value: { stringValue: service } },
          { key: 'cloud.region', value: { stringValue: serviceIndex === 0 ? 'eu' : 'us' } },
        ],
      },
      scopeSpans: [
        {
          scope: { name: 'sliced-search-test' },
          spans: Array.from({ length: count }, (_, offset) => first + offset).flatMap((trace) =>
            Array.from({ length: SPANS_PER_TRACE }, (_, index) => index)
              .filter((index) => index % 2 === serviceIndex)
              .map((index) => {
                const start = base + BigInt(trace) * 1_000_000_000n + BigInt(index) * 1_000_000n
                return {
                  traceId: traceId(trace),
                  spanId: hex(trace * 16 + index + 1, 16),
                  name: `${service}.op${index}`,
                  kind: 2,
                  startTimeUnixNano: String(start),
                  endTimeUnixNano: String(start + BigInt(durationMs(trace, index)) * 1_000_000n),
                  attributes: attributes(trace, index),
                  status: { code: trace % 50 === 0 && index === 3 ? 2 : 0 },
                }
              }),
          ),
        },
      ],
    })),
  }
}

/** Which traces a search should find, worked out here from what was sent. */
function expected(service: string | undefined, key: string, value: string): string[] {
  const found: string[] = []
  for (let trace = 0; trace < TRACES; trace++) {
    const match = Array.from({ length: SPANS_PER_TRACE }, (_, index) => index).some((index) => {
      const spanService = index % 2 === 0 ? 'front' : 'back'
      if (service && spanService !== service) return false
      if (key === 'cloud.region') return value === (spanService === 'front' ? 'eu' : 'us')
      const attribute = attributes(trace, index).find((candidate) => candidate.key === key)
      const failed = trace % 50 === 0 && index === 3
      const text = attribute ? String(Object.values(attribute.value)[0]) : undefined
      if (key === 'error' && value === 'true') return failed || text === 'true'
      return text === value
    })
    if (match) found.push(traceId(trace))
  }
  return found.sort()
}

let collector: Awaited<ReturnType<typeof testCollector>>
beforeAll(async () => {
  collector = await testCollector()
  for (let first = 0; first < TRACES; first += 500) {
    const response = await postOtlp(collector.app, request(first, 500))
    expect(response.status).toBe(200)
  }
}, 60_000)
afterAll(() => collector.close())

const search = (query: { service?: string; tags: Record<string, string>; limit?: number }) =>
  findTraceIds(collector.db, { limit: TRACES, ...query })

describe('tag search, read in slices', () => {
  test.each([
    [undefined, 'order.id', `ord-${hex(1234, 6)}`],
    ['front', 'http.route', '/api/2'],
    ['back', 'http.route', '/api/2'],
    [undefined, 'items.count', '3'],
    ['back', 'ratio', '0.5'],
    [undefined, 'ratio', '1.25'],
    ['front', 'cached', 'true'],
    [undefined, 'note', 'say "hi"'],
    [undefined, 'cloud.region', 'us'],
    ['back', 'error', 'true'],
    [undefined, 'http.route', '/nowhere'],
  ])('service %p, %s = %s: exactly the traces that have such a span', async (service, key, value) => {
    const found = await search({ service, tags: { [key]: value } })
    expect([...found].sort()).toEqual(expected(service, key, value))
  })

  test('newest traces first, stopping at the limit', async () => {
    const found = await search({ service: 'front', tags: { 'http.route': '/api/0' }, limit: 5 })
    expect(found).toEqual([TRACES - 1, TRACES - 2, TRACES - 3, TRACES - 4, TRACES - 5].map(traceId))
  })

  test('through the API, a search names one order among every trace', async () => {
    const tags = encodeURIComponent(JSON.stringify({ 'order.id': `ord-${hex(7, 6)}` }))
    const response = await collector.app.request(`/api/traces?service=front&tags=${tags}&limit=20`)
    expect(response.status).toBe(200)
    const { data } = (await response.json()) as { data: JaegerTrace[] }
    expect(data.map((trace) => trace.traceID)).toEqual([traceId(7)])
  })

  test('a search past its budget answers with what it found so far', async () => {
    const query = { service: 'front', tags: { 'http.route': '/nowhere' }, limit: 20 }
    const slices: number[] = []
    expect(await findTraceIdsInSlices(collector.db, query, undefined, { budgetMs: 0 })).toEqual([])
    await findTraceIdsInSlices(collector.db, query, undefined, {
      maxRows: 1_000,
      onSlice: ({ rows }) => slices.push(rows),
    })
    // It stops at the first slice that reaches the row budget.
    expect(slices.length).toBeGreaterThan(0)
    expect(slices.slice(0, -1).reduce((sum, rows) => sum + rows, 0)).toBeLessThan(1_000)
  })

  test('searches at once take turns with other requests: /healthz answers while they run', async () => {
    let running = true
    const slices: { rows: number; ms: number }[] = []
    const searches = Promise.all(
      Array.from({ length: 10 }, () =>
        findTraceIdsInSlices(collector.db, { tags: { 'http.route': '/nowhere' }, limit: 20 }, undefined, {
          onSlice: (slice) => slices.push(slice),
        }),
      ),
    ).finally(() => {
      running = false
    })
    let healthy = 0
    while (running) {
      expect((await collector.app.request('/healthz')).status).toBe(200)
      if (running) healthy++
      await new Promise((resolve) => setImmediate(resolve))
    }
    await searches
    // Every search read the whole store in more than one slice, and /healthz was answered between them.
    expect(slices.length).toBeGreaterThan(10)
    expect(healthy).toBeGreaterThan(5)
  })
})

interface DurationSearch {
  service?: string
  operation?: string
  /** Milliseconds. */
  min?: number
  max?: number
}

/** Which traces have a span (of the service, named the operation) lasting `min` to `max` ms, from what was sent. */
function expectedByDuration({ service, operation, min = 0, max = Number.POSITIVE_INFINITY }: DurationSearch): string[] {
  const found: string[] = []
  for (let trace = 0; trace < TRACES; trace++) {
    const match = Array.from({ length: SPANS_PER_TRACE }, (_, index) => index).some((index) => {
      const spanService = index % 2 === 0 ? 'front' : 'back'
      if (service && spanService !== service) return false
      if (operation && `${spanService}.op${index}` !== operation) return false
      const ms = durationMs(trace, index)
      return ms >= min && ms <= max
    })
    if (match) found.push(traceId(trace))
  }
  return found.sort()
}

describe('operation, duration and plain searches, read in slices', () => {
  test.each<[string | undefined, string | undefined, number | undefined, number | undefined]>([
    ['back', undefined, 1000, undefined],
    [undefined, undefined, 13, 13],
    ['front', undefined, undefined, 1],
    ['front', 'front.op2', undefined, undefined],
    ['back', 'back.op3', 12, undefined],
  ])(
    'service %p, operation %p, %p to %p ms: exactly the traces with such a span, read in slices',
    async (service, operation, min, max) => {
      const slices: number[] = []
      const found = await findTraceIds(
        collector.db,
        {
          service,
          operation,
          minDuration: min === undefined ? undefined : min * 1000,
          maxDuration: max === undefined ? undefined : max * 1000,
          tags: {},
          limit: TRACES,
        },
        { onSlice: ({ rows }) => slices.push(rows) },
      )
      expect([...found].sort()).toEqual(expectedByDuration({ service, operation, min, max }))
      expect(slices.length).toBeGreaterThan(0)
    },
  )

  test('a search by service and time alone has its limit from its first slice', async () => {
    const slices: number[] = []
    const found = await findTraceIds(
      collector.db,
      { service: 'front', tags: {}, limit: 5 },
      { onSlice: ({ rows }) => slices.push(rows) },
    )
    expect(found).toEqual([TRACES - 1, TRACES - 2, TRACES - 3, TRACES - 4, TRACES - 5].map(traceId))
    expect(slices).toHaveLength(1)
  })

  test("one trace's 20,000 spans filling the newest part of the range: read in slices, and the traces before it found", async () => {
    const store = await testCollector()
    try {
      const start = nowNanos() - 60_000_000_000n
      const span = (trace: number, index: number) => ({
        traceId: traceId(trace),
        spanId: hex(trace * 100_000 + index + 1, 16),
        name: 'front.op0',
        kind: 2,
        startTimeUnixNano: String(start + BigInt(trace) * 1_000_000_000n + BigInt(index) * 1000n),
        endTimeUnixNano: String(start + BigInt(trace) * 1_000_000_000n + BigInt(index) * 1000n + 1000n),
      })
      const spans = [0, 1, 2].map((trace) => span(trace, 0))
      for (let index = 0; index < 20_000; index++) spans.push(span(3, index))
      const resourceSpans = [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'front' } }] },
          scopeSpans: [{ scope: { name: 'sliced-search-test' }, spans }],
        },
      ]
      expect((await postOtlp(store.app, { resourceSpans })).status).toBe(200)
      const slices: number[] = []
      const found = await findTraceIds(
        store.db,
        { service: 'front', tags: {}, limit: 3 },
        { onSlice: ({ rows }) => slices.push(rows) },
      )
      expect(found).toEqual([3, 2, 1].map(traceId))
      expect(slices.length).toBeGreaterThan(1)
    } finally {
      store.close()
    }
  })

  test('through the API, the slow traces of a service, newest first', async () => {
    const response = await collector.app.request('/api/traces?service=back&minDuration=1s&limit=20')
    expect(response.status).toBe(200)
    const { data } = (await response.json()) as { data: JaegerTrace[] }
    expect(data.map((trace) => trace.traceID)).toEqual([2000, 1000, 0].map(traceId))
  })
})
