import { describe, expect, test } from 'bun:test'
import { CancelledError, inParallel, inSequence, mapConcurrent } from '../../shared/concurrency.ts'
import { inSpan } from '../../shared/telemetry/span.ts'
import { sleep } from '../../shared/time.ts'
import { captureTelemetry } from '../support/capture.ts'
import { STATUS } from '../support/otlp-json.ts'

describe('mapConcurrent', () => {
  test('keeps input order whatever finishes first, and never runs more than the limit', async () => {
    let running = 0
    let most = 0
    const delays = [40, 5, 30, 1, 20, 10, 2]
    const results = await mapConcurrent(delays, 3, async (ms, index) => {
      most = Math.max(most, ++running)
      await sleep(ms)
      running--
      return `${index}:${ms}`
    })
    expect(results).toEqual(delays.map((ms, index) => `${index}:${ms}`))
    expect(most).toBe(3)
  })

  test('the first failure aborts the running calls, starts no more, and their spans end ERROR as cancelled', async () => {
    const { telemetry, spans } = captureTelemetry('test')
    const started: number[] = []
    const failure = new Error('item 1 is broken')
    const pending = inSpan(telemetry.tracer, 'parent', {}, () =>
      mapConcurrent(['a', 'b', 'c', 'd', 'e'], 3, (item, index, signal) =>
        inSpan(telemetry.tracer, 'item', { attributes: { 'item.id': item } }, async () => {
          started.push(index)
          if (index === 1) throw failure
          await sleep(5_000, signal)
          return item
        }),
      ),
    )
    const began = Date.now()
    await expect(pending).rejects.toBe(failure)
    expect(Date.now() - began).toBeLessThan(1000)
    expect(started).toEqual([0, 1, 2])

    const exported = await spans()
    const parent = exported.find((span) => span.name === 'parent')!
    const items = exported.filter((span) => span.name === 'item')
    expect(items.map((span) => span.attributes['item.id']).sort()).toEqual(['a', 'b', 'c'])
    for (const item of items) {
      expect(item.parentSpanId).toBe(parent.spanId)
      expect(item.status.code).toBe(STATUS.ERROR)
      // Ended before the parent (span clocks differ by well under a millisecond).
      expect(item.endNs).toBeLessThanOrEqual(parent.endNs + 1_000_000n)
    }
    const cancelled = items.filter((span) => span.attributes['item.id'] !== 'b')
    for (const span of cancelled) {
      expect(span.status.message).toBe('cancelled: item 1 failed first: item 1 is broken')
      expect(span.attributes['error.type']).toBe('cancelled')
    }
  })

  test("an abort of the caller's signal stops it with a CancelledError", async () => {
    const controller = new AbortController()
    // The caller goes away once both workers are busy, not after some time.
    let started = 0
    const work = (_: number, __: number, signal: AbortSignal) => {
      if (++started === 2) queueMicrotask(() => controller.abort(new Error('client went away')))
      return sleep(5_000, signal)
    }
    const pending = mapConcurrent([1, 2, 3, 4], 2, work, controller.signal)
    const error = await pending.catch((error: unknown) => error)
    expect(error).toBeInstanceOf(CancelledError)
    expect((error as Error).message).toBe('cancelled: client went away')
  })
})

describe('inParallel and inSequence', () => {
  const slow = (ms: number, value: string) => () => sleep(ms).then(() => value)
  const failing = (ms: number, message: string) => () => sleep(ms).then(() => Promise.reject(new Error(message)))

  test('in parallel the total is the slowest, in sequence the sum; the results are the same', async () => {
    const tasks = [slow(60, 'a'), slow(40, 'b'), slow(20, 'c')] as const
    let began = Date.now()
    expect(await inParallel(tasks)).toEqual(['a', 'b', 'c'])
    const parallel = Date.now() - began
    began = Date.now()
    expect(await inSequence(tasks)).toEqual(['a', 'b', 'c'])
    const sequential = Date.now() - began
    expect(parallel).toBeLessThan(100)
    expect(sequential).toBeGreaterThanOrEqual(115)
  })

  test('both report the failure of the first failing task in list order, whichever failed first in time', async () => {
    const tasks = [slow(10, 'a'), failing(50, 'second task'), failing(1, 'third task')] as const
    await expect(inParallel(tasks)).rejects.toThrow('second task')
    await expect(inSequence(tasks)).rejects.toThrow('second task')
  })
})
