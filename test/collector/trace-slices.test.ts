import { afterAll, beforeAll, expect, test } from 'bun:test'
import { traceSlices } from '../../collector/query.ts'
import { bigTrace, bigTraceSpans } from './big-trace.ts'
import { postOtlp, testCollector } from './helpers.ts'
import { handWrittenRequest, LINKED_SPAN, LINKED_TRACE, otlpRequest, TRACE_ID } from './payloads.ts'

// The APIs write traces out a slice at a time (`jsonStream`); what a slice holds is what the answers hold.

const BIG = 'e0000000000000000000000000002500'
const HAND_WRITTEN = TRACE_ID.toLowerCase()

let collector: Awaited<ReturnType<typeof testCollector>>
beforeAll(async () => {
  collector = await testCollector()
  expect((await postOtlp(collector.app, bigTrace(BIG, 2_500))).status).toBe(200)
  expect((await postOtlp(collector.app, handWrittenRequest())).status).toBe(200)
})
afterAll(() => collector.close())

const read = (traceIds: string[], sliceSpans?: number) =>
  Array.fromAsync(traceSlices(collector.db, traceIds, sliceSpans))
const bySpanId = (records: { spanId: string }[]) => [...records].sort((a, b) => a.spanId.localeCompare(b.spanId))

test('slices of at most the size asked, one trace each, traces in the order asked, each span once', async () => {
  const slices = await read([BIG, 'ab'.repeat(16), HAND_WRITTEN, BIG], 1_000)
  // The big trace's slices, then the hand-written trace's: each slice at most 1000 spans (fewer when reading is slow).
  const traceOrder = slices.map((slice) => slice[0]!.traceId).filter((id, index, ids) => id !== ids[index - 1])
  expect(traceOrder).toEqual([BIG, HAND_WRITTEN])
  for (const slice of slices) expect(slice.length).toBeLessThanOrEqual(1_000)
  const hand = slices.filter((slice) => slice[0]!.traceId === HAND_WRITTEN).flat()
  for (const slice of slices) expect(new Set(slice.map((record) => record.traceId)).size).toBe(1)
  const big = slices.filter((slice) => slice[0]!.traceId === BIG).flat()
  expect(new Set(big.map((record) => record.spanId)).size).toBe(2_500)
  // Spans in key order across slices: the next slice starts after the last span id of the one before.
  expect(big.map((record) => record.spanId)).toEqual(bySpanId(big).map((record) => record.spanId))
  // Each span's events on it, whichever slice it fell in.
  const withEvents = bigTraceSpans(2_500).filter((span) => span.events)
  expect(big.filter((record) => record.events.length > 0)).toHaveLength(withEvents.length)
  // A span's event carries the span's index, which its id is (`bigTraceSpans`).
  for (const record of big)
    for (const event of record.events)
      expect(event.attributes).toContainEqual(
        expect.objectContaining({ key: 'index', value: Number.parseInt(record.spanId.slice(1), 16) }),
      )
  expect(hand.flatMap((record) => record.links)).toContainEqual(
    expect.objectContaining({ traceId: LINKED_TRACE, spanId: LINKED_SPAN }),
  )
})

test('sliced, a trace reads as it does in one piece: the same spans, events, links and resources', async () => {
  const whole = (await read([BIG], 10_000)).flat()
  expect(whole).toHaveLength(2_500)
  expect(bySpanId((await read([BIG], 7)).flat())).toEqual(bySpanId(whole))
  expect((await read([HAND_WRITTEN], 1)).flat()).toEqual((await read([HAND_WRITTEN])).flat())
})

test('an unknown trace yields nothing', async () => {
  expect(await read(['ab'.repeat(16)])).toEqual([])
})

test('big spans make smaller slices: a turn reads about 10 ms, not a thousand spans whatever their size', async () => {
  const traceId = 'b1'.repeat(16)
  const padding = 'x'.repeat(16_000)
  const spans = Array.from({ length: 1_500 }, (_, index) => ({
    id: (index + 1).toString(16).padStart(16, '0'),
    service: 'bulky',
    name: 'big',
    at: index,
    ms: 1,
    attributes: { padding },
  }))
  expect((await postOtlp(collector.app, otlpRequest(traceId, spans))).status).toBe(200)
  const sizes = (await read([traceId], 1_000)).map((slice) => slice.length)
  expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(1_500)
  // The first turn reads 1000 spans of 16 KB (16 MB of JSON, far more than 10 ms); the next ones ask for fewer.
  expect(sizes[0]).toBe(1_000)
  expect(Math.max(...sizes.slice(1))).toBeLessThan(500)
}, 30_000)
