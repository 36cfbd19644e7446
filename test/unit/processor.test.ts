import { afterEach, beforeEach, describe, expect, jest, test } from 'bun:test'
import { type ExportResult, ExportResultCode } from '@opentelemetry/core'
import { BasicTracerProvider, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base'
import {
  type BatchingSpanExporter,
  BoundedBatchSpanProcessor,
  type SpanBatch,
} from '../../shared/telemetry/processor.ts'

/**
 * An exporter that records each batch it is given and answers `code`, at once or, with `hold`, only when the test
 * calls `answer(i)`: a slow collector without a clock. `exported(n)` settles once `n` spans have been answered.
 */
function recordingExporter({ code = ExportResultCode.SUCCESS, hold = false } = {}) {
  const batches: string[][] = []
  const callbacks: ((result: ExportResult) => void)[] = []
  const waiting: { count: number; resolve: () => void }[] = []
  let answered = 0
  const answer = (i: number) => {
    callbacks[i]!({ code })
    answered += batches[i]!.length
    for (const wait of waiting.filter((wait) => answered >= wait.count)) wait.resolve()
  }
  const exporter: SpanExporter = {
    export(spans, resultCallback) {
      batches.push(spans.map((span) => span.name))
      callbacks.push(resultCallback)
      // Answered on a later tick, as a real exporter does, so the processor counts the batch before `exported`
      // lets the test go on.
      const i = batches.length - 1
      if (!hold) queueMicrotask(() => answer(i))
    },
    shutdown: async () => {},
  }
  const exported = (count: number) =>
    new Promise<void>((resolve) => (answered >= count ? resolve() : waiting.push({ count, resolve })))
  return { exporter, batches, answer, exported }
}

function spans(count: number, prefix = 'span'): ReadableSpan[] {
  const tracer = new BasicTracerProvider().getTracer('test')
  return Array.from({ length: count }, (_, i) => {
    const span = tracer.startSpan(`${prefix}-${i}`)
    span.end()
    return span as unknown as ReadableSpan
  })
}

// The processor's only clock is its scheduled-delay timer: fake timers let a test say when that delay has passed,
// and show that no timer was set where none should be.
beforeEach(() => {
  jest.useFakeTimers()
})
afterEach(() => {
  jest.useRealTimers()
})

describe('bounded batch processor', () => {
  test('drops and counts spans beyond its queue instead of growing', async () => {
    const target = recordingExporter()
    const processor = new BoundedBatchSpanProcessor(target.exporter, {
      maxQueueSize: 10,
      maxExportBatchSize: 100,
      scheduledDelayMillis: 0,
    })
    for (const span of spans(25)) processor.onEnd(span)
    expect(processor.stats()).toEqual({ queued: 10, exported: 0, failed: 0, dropped: 15 })
    await processor.forceFlush()
    expect(processor.stats()).toEqual({ queued: 0, exported: 10, failed: 0, dropped: 15 })
    expect(target.batches.flat()).toHaveLength(10)
  })

  test('a full batch starts the export at once, without waiting for the delay, in batches and in order', async () => {
    const target = recordingExporter()
    const processor = new BoundedBatchSpanProcessor(target.exporter, {
      maxExportBatchSize: 4,
      scheduledDelayMillis: 60_000,
    })
    for (const span of spans(10)) processor.onEnd(span)
    // Each full batch went out from inside onEnd; the partial one left waits for the delay, as any partial batch.
    expect(target.batches.map((batch) => batch.length)).toEqual([4, 4])
    await target.exported(8)
    expect(processor.stats()).toMatchObject({ exported: 8, queued: 2 })
    // Once both lanes are done, the delay's timer is the only one left.
    await waitFor(() => jest.getTimerCount() === 1)
    jest.advanceTimersByTime(60_000)
    await target.exported(10)
    expect(processor.stats()).toMatchObject({ exported: 10, queued: 0 })
    expect(target.batches.map((batch) => batch.length)).toEqual([4, 4, 2])
    expect(target.batches.flat()).toEqual(Array.from({ length: 10 }, (_, i) => `span-${i}`))
  })

  test('a backlog goes out over several exports in flight, never more than maxConcurrentExports', async () => {
    const target = recordingExporter({ hold: true })
    const processor = new BoundedBatchSpanProcessor(target.exporter, {
      maxQueueSize: 100,
      maxExportBatchSize: 4,
      scheduledDelayMillis: 60_000,
      maxConcurrentExports: 2,
    })
    for (const span of spans(16)) processor.onEnd(span)
    // Two exports out and unanswered (a slow collector); the next two full batches wait in the queue, bounded.
    expect(target.batches).toHaveLength(2)
    expect(processor.stats()).toMatchObject({ queued: 8, dropped: 0 })
    // An answer frees its lane, which takes the next full batch at once.
    target.answer(0)
    await waitFor(() => target.batches.length === 3)
    target.answer(1)
    await waitFor(() => target.batches.length === 4)
    target.answer(2)
    target.answer(3)
    await target.exported(16)
    expect(processor.stats()).toEqual({ queued: 0, exported: 16, failed: 0, dropped: 0 })
    expect(target.batches.flat()).toEqual(Array.from({ length: 16 }, (_, i) => `span-${i}`))
  })

  test('a burst of 200 orders (about 20 spans each in one service) is not dropped with the default queue', async () => {
    // The collector answers nothing until the burst is over: everything the burst makes must fit.
    const target = recordingExporter({ hold: true })
    const processor = new BoundedBatchSpanProcessor(target.exporter)
    for (const span of spans(200 * 20)) processor.onEnd(span)
    // Four full batches in flight, the rest waiting: nothing dropped, and the queue holds less than its bound.
    expect(target.batches).toHaveLength(4)
    expect(processor.stats()).toMatchObject({ queued: 4000 - 4 * 512, dropped: 0 })
    let answered = 0
    const flushed = processor.forceFlush()
    await waitFor(() => {
      while (answered < target.batches.length) target.answer(answered++)
      return processor.stats().exported === 4000
    }, 1000)
    await flushed
    expect(processor.stats()).toEqual({ queued: 0, exported: 4000, failed: 0, dropped: 0 })
  })

  test('forceFlush sends the partial batch and waits for every export in flight', async () => {
    const target = recordingExporter({ hold: true })
    const processor = new BoundedBatchSpanProcessor(target.exporter, {
      maxExportBatchSize: 4,
      scheduledDelayMillis: 60_000,
    })
    for (const span of spans(6)) processor.onEnd(span)
    let flushed = false
    const flush = processor.forceFlush().then(() => {
      flushed = true
    })
    await waitFor(() => target.batches.length === 2)
    target.answer(1)
    await Promise.resolve()
    expect(flushed).toBe(false)
    target.answer(0)
    await flush
    expect(processor.stats()).toEqual({ queued: 0, exported: 6, failed: 0, dropped: 0 })
    expect(jest.getTimerCount()).toBe(0)
  })

  test('in flush-only mode (Workers) spans leave only on forceFlush, each flush exporting what is queued then', async () => {
    const target = recordingExporter({ hold: true })
    const processor = new BoundedBatchSpanProcessor(target.exporter, { maxExportBatchSize: 4, scheduledDelayMillis: 0 })
    for (const span of spans(5, 'first')) processor.onEnd(span)
    // Nothing was sent, and no timer was set that could send it later.
    expect(target.batches).toEqual([])
    expect(jest.getTimerCount()).toBe(0)
    // A second request's flush does not wait for the first one's export, which the collector is slow to answer: it
    // sends what is queued when it runs (the first flush's last span and its own).
    let slowDone = false
    const slow = processor.forceFlush().then(() => {
      slowDone = true
    })
    for (const span of spans(1, 'second')) processor.onEnd(span)
    const fast = processor.forceFlush()
    expect(target.batches).toEqual([
      ['first-0', 'first-1', 'first-2', 'first-3'],
      ['first-4', 'second-0'],
    ])
    target.answer(1)
    await fast
    expect(slowDone).toBe(false)
    target.answer(0)
    await slow
    expect(processor.stats()).toMatchObject({ exported: 6, queued: 0 })
  })

  test('flushAfter (Workers): requests that end within the delay share one export, and none waits on another', async () => {
    const target = recordingExporter({ hold: true })
    const processor = new BoundedBatchSpanProcessor(target.exporter, { scheduledDelayMillis: 0 })
    for (const span of spans(2, 'first')) processor.onEnd(span)
    const first = processor.flushAfter(100)
    jest.advanceTimersByTime(40)
    for (const span of spans(1, 'second')) processor.onEnd(span)
    let secondDone = false
    const second = processor.flushAfter(100).then(() => {
      secondDone = true
    })
    // The first request's delay ends: everything queued leaves in one export, the second request's span too.
    jest.advanceTimersByTime(60)
    await waitFor(() => target.batches.length === 1)
    expect(target.batches).toEqual([['first-0', 'first-1', 'second-0']])
    // The second request's delay ends while that export is still unanswered: its spans have left, so it is done.
    jest.advanceTimersByTime(40)
    await second
    expect(secondDone).toBe(true)
    expect(target.batches).toHaveLength(1)
    // A span that ends after the export started leaves with the next request's flush.
    for (const span of spans(1, 'third')) processor.onEnd(span)
    const third = processor.flushAfter(100)
    jest.advanceTimersByTime(100)
    await waitFor(() => target.batches.length === 2)
    expect(target.batches[1]).toEqual(['third-0'])
    target.answer(0)
    target.answer(1)
    await Promise.all([first, third])
    expect(processor.stats()).toMatchObject({ exported: 4, queued: 0 })
  })

  test('flushAfter sends only as far as its own spans, however many arrive meanwhile', async () => {
    const target = recordingExporter({ hold: true })
    const processor = new BoundedBatchSpanProcessor(target.exporter, { maxExportBatchSize: 2, scheduledDelayMillis: 0 })
    for (const span of spans(3, 'own')) processor.onEnd(span)
    const flushed = processor.flushAfter(100)
    jest.advanceTimersByTime(100)
    // Other requests keep queueing spans while this one's batches are out.
    for (const span of spans(5, 'later')) processor.onEnd(span)
    await waitFor(() => target.batches.length === 1)
    target.answer(0)
    await waitFor(() => target.batches.length === 2)
    for (const span of spans(5, 'more')) processor.onEnd(span)
    target.answer(1)
    await flushed
    // Its three spans left in the first two batches; the later ones wait for their own requests' flushes.
    expect(target.batches).toEqual([
      ['own-0', 'own-1'],
      ['own-2', 'later-0'],
    ])
    expect(processor.stats()).toMatchObject({ exported: 4, queued: 9 })
  })

  test('sends a partial batch once the scheduled delay has passed, without a flush', async () => {
    const target = recordingExporter()
    const processor = new BoundedBatchSpanProcessor(target.exporter, { scheduledDelayMillis: 1000 })
    for (const span of spans(3)) processor.onEnd(span)
    jest.advanceTimersByTime(999)
    expect(target.batches).toEqual([])
    jest.advanceTimersByTime(1)
    await target.exported(3)
    expect(processor.stats()).toMatchObject({ exported: 3, queued: 0 })
  })

  test('counts spans whose export failed', async () => {
    const target = recordingExporter({ code: ExportResultCode.FAILED })
    const processor = new BoundedBatchSpanProcessor(target.exporter, { scheduledDelayMillis: 0 })
    for (const span of spans(3)) processor.onEnd(span)
    await processor.forceFlush()
    expect(processor.stats()).toEqual({ queued: 0, exported: 0, failed: 3, dropped: 0 })
  })

  test('an export that never answers counts as failed after the export timeout, and the next batch goes', async () => {
    const target = recordingExporter({ hold: true })
    const processor = new BoundedBatchSpanProcessor(target.exporter, {
      maxExportBatchSize: 2,
      scheduledDelayMillis: 0,
      exportTimeoutMillis: 30_000,
    })
    for (const span of spans(4)) processor.onEnd(span)
    const flushed = processor.forceFlush()
    expect(target.batches).toEqual([['span-0', 'span-1']])
    jest.advanceTimersByTime(29_999)
    await Promise.resolve()
    expect(target.batches).toHaveLength(1)
    jest.advanceTimersByTime(1)
    // The first batch gave up on; the second one is sent and answered in time.
    await waitFor(() => target.batches.length === 2)
    target.answer(1)
    await flushed
    expect(processor.stats()).toEqual({ queued: 0, exported: 2, failed: 2, dropped: 0 })
    // A late answer to the first export changes nothing.
    target.answer(0)
    expect(processor.stats()).toMatchObject({ exported: 2, failed: 2 })
    expect(jest.getTimerCount()).toBe(0)
  })

  test('an exporter with batches of its own is handed each span as it ends, in batches of at most a full one', async () => {
    // What an encoding exporter (OTLP/protobuf) does: the span goes into the batch when it ends, not at the export.
    const added: string[] = []
    const exported: string[][] = []
    const exporter: BatchingSpanExporter = {
      newBatch: () => {
        const names: string[] = []
        return {
          names,
          get size() {
            return names.length
          },
          add(span) {
            names.push(span.name)
            added.push(span.name)
          },
        } as SpanBatch
      },
      exportBatch(batch, resultCallback) {
        exported.push((batch as SpanBatch & { names: string[] }).names)
        queueMicrotask(() => resultCallback({ code: ExportResultCode.SUCCESS }))
      },
      export: () => {
        throw new Error('a batching exporter is given its batches, never the spans')
      },
      shutdown: async () => {},
    }
    const processor = new BoundedBatchSpanProcessor(exporter, { maxExportBatchSize: 2, scheduledDelayMillis: 1000 })
    const [first, second, third] = spans(3)
    processor.onEnd(first!)
    expect(added).toEqual(['span-0'])
    expect(exported).toEqual([])
    // A full batch leaves at once; the partial one after it waits for the delay.
    processor.onEnd(second!)
    processor.onEnd(third!)
    expect(added).toEqual(['span-0', 'span-1', 'span-2'])
    expect(exported).toEqual([['span-0', 'span-1']])
    expect(processor.stats().queued).toBe(1)
    // Once the full batch's export is answered, the delay starts for what is left.
    await waitFor(() => processor.stats().exported === 2)
    await waitFor(() => jest.getTimerCount() === 1)
    jest.advanceTimersByTime(1000)
    await waitFor(() => exported.length === 2)
    expect(exported).toEqual([['span-0', 'span-1'], ['span-2']])
    await processor.forceFlush()
    expect(processor.stats()).toEqual({ queued: 0, exported: 3, failed: 0, dropped: 0 })
  })
})

/** Lets promise callbacks run until `done` holds (fake timers leave microtasks alone). */
async function waitFor(done: () => boolean, ticks = 100) {
  for (let i = 0; i < ticks && !done(); i++) await Promise.resolve()
  expect(done()).toBe(true)
}
