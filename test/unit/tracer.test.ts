import { describe, expect, test } from 'bun:test'
import {
  context,
  ROOT_CONTEXT,
  SamplingDecision,
  type Span,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api'
import { suppressTracing, TraceState } from '@opentelemetry/core'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  InMemorySpanExporter,
  ParentBasedSampler,
  type ReadableSpan,
  type Sampler,
  SimpleSpanProcessor,
  type SpanLimits,
} from '@opentelemetry/sdk-trace-base'
import { SAMPLERS } from '../../shared/telemetry/config.ts'
import { installContextManager } from '../../shared/telemetry/context.ts'
import { samplerFromConfig } from '../../shared/telemetry/sampler.ts'
import { LeanTracer, mayRecordUnder } from '../../shared/telemetry/tracer.ts'

installContextManager()

const DEFAULT_LIMITS: Required<SpanLimits> = {
  attributeValueLengthLimit: Number.POSITIVE_INFINITY,
  attributeCountLimit: 128,
  eventCountLimit: 128,
  linkCountLimit: 128,
  attributePerEventCountLimit: 128,
  attributePerLinkCountLimit: 128,
}

/** Our tracer with every span sampled, each exported as it ends to the exporter returned with it. */
function exportingTracer() {
  const exporter = new InMemorySpanExporter()
  const tracer = new LeanTracer({
    resource: resourceFromAttributes({}),
    scope: { name: 't' },
    sampler: new AlwaysOnSampler(),
    spanLimits: DEFAULT_LIMITS,
    processor: new SimpleSpanProcessor(exporter),
  })
  return { tracer, exporter }
}

/** An `HrTime` in milliseconds. */
const millis = (time: readonly [number, number]) => time[0] * 1000 + time[1] / 1e6

/**
 * Runs `scenario` against the SDK's tracer and against ours, with the same sampler and limits, and returns what each
 * exported, ids replaced by the index of the span they name, so the two can be compared whole.
 */
function both(scenario: (tracer: Tracer) => void, sampler: Sampler = new AlwaysOnSampler(), limits = DEFAULT_LIMITS) {
  const resource = resourceFromAttributes({ 'service.name': 'order' })
  const sdkExporter = new InMemorySpanExporter()
  const sdk = new BasicTracerProvider({
    resource,
    sampler,
    spanLimits: limits,
    spanProcessors: [new SimpleSpanProcessor(sdkExporter)],
  }).getTracer('order')
  const leanExporter = new InMemorySpanExporter()
  const lean = new LeanTracer({
    resource,
    scope: { name: 'order', version: undefined, schemaUrl: undefined },
    sampler,
    spanLimits: limits,
    processor: new SimpleSpanProcessor(leanExporter),
  })
  scenario(sdk)
  scenario(lean)
  return { sdk: normalized(sdkExporter.getFinishedSpans()), lean: normalized(leanExporter.getFinishedSpans()) }
}

function normalized(spans: ReadableSpan[]) {
  const index = new Map(spans.map((span, i) => [span.spanContext().spanId, i]))
  const id = (spanId: string | undefined) => (spanId === undefined ? undefined : (index.get(spanId) ?? spanId))
  return spans.map((span) => ({
    name: span.name,
    kind: span.kind,
    traceFlags: span.spanContext().traceFlags,
    traceState: span.spanContext().traceState?.serialize(),
    parent: id(span.parentSpanContext?.spanId),
    parentRemote: span.parentSpanContext?.isRemote,
    attributes: span.attributes,
    droppedAttributesCount: span.droppedAttributesCount,
    // Stack traces differ by the line each tracer was called from; their first line is the error.
    events: span.events.map((event) => ({
      ...event,
      time: undefined,
      attributes: {
        ...event.attributes,
        'exception.stacktrace': firstLine(event.attributes?.['exception.stacktrace']),
      },
    })),
    droppedEventsCount: span.droppedEventsCount,
    links: span.links.map((link) => ({
      ...link,
      context: { ...link.context, traceId: undefined, spanId: id(link.context.spanId) },
    })),
    droppedLinksCount: span.droppedLinksCount,
    status: span.status,
    ended: span.ended,
    scope: span.instrumentationScope,
    resource: span.resource.attributes,
    durationPositive: span.duration[0] >= 0 && span.duration[1] >= 0,
  }))
}

const firstLine = (value: unknown) => (typeof value === 'string' ? value.split('\n')[0] : value)

function expectSame(result: ReturnType<typeof both>) {
  expect(result.lean).toEqual(result.sdk)
  expect(result.lean.length).toBeGreaterThan(0)
}

describe('our tracer does what the SDK tracer does', () => {
  test('attributes: valid ones kept, invalid ones left out, arrays copied, later ones added and replaced', () => {
    expectSame(
      both((tracer) => {
        const list = ['a', 'b']
        const span = tracer.startSpan('attributes', {
          kind: SpanKind.SERVER,
          attributes: {
            text: 'x',
            count: 3,
            flag: false,
            list,
            mixed: ['a', 1] as unknown as string[],
            object: { nested: true } as never,
            nothing: undefined,
            none: null as never,
            '': 'empty key',
          },
        })
        list.push('changed after start')
        span.setAttribute('later', 1.5)
        span.setAttribute('text', 'replaced')
        span.setAttribute('skipped', undefined as never)
        span.setAttributes({ more: true, holes: [null, 'x'] as never })
        span.end()
      }),
    )
  })

  test('frozen attributes (a statement’s, shared by its spans): each span as if it had its own copy', () => {
    const shared = Object.freeze({ 'db.query.text': 'select 1', 'db.operation.name': 'SELECT' })
    const invalid = Object.freeze({ kept: 'x', list: ['a'], nothing: null as never, '': 'empty key' })
    expectSame(
      both((tracer) => {
        tracer.startSpan('first', { attributes: shared }).end()
        const changed = tracer.startSpan('changed', { attributes: shared })
        changed.setAttribute('error.type', 'SqliteError')
        changed.setAttribute('db.operation.name', 'replaced')
        changed.end()
        tracer.startSpan('after', { attributes: shared }).end()
        tracer.startSpan('invalid', { attributes: invalid }).end()
        tracer.startSpan('invalid again', { attributes: invalid }).end()
        tracer.startSpan('not an object', { attributes: 'text' as never }).end()
        tracer.startSpan('null', { attributes: null as never }).end()
      }),
    )
    expect(shared).toEqual({ 'db.query.text': 'select 1', 'db.operation.name': 'SELECT' })
  })

  test('frozen attributes over the count limit, and a sampler adding to them', () => {
    const shared = Object.freeze({ a: 1, b: 2, c: 3 })
    const limits = { ...DEFAULT_LIMITS, attributeCountLimit: 2 }
    expectSame(
      both((tracer) => tracer.startSpan('limited', { attributes: shared }).end(), new AlwaysOnSampler(), limits),
    )
    const adding: Sampler = {
      shouldSample: () => ({ decision: SamplingDecision.RECORD_AND_SAMPLED, attributes: { sampled: true } }),
      toString: () => 'adding',
    }
    expectSame(both((tracer) => tracer.startSpan('sampled', { attributes: shared }).end(), adding))
    expect(shared).toEqual({ a: 1, b: 2, c: 3 })
  })

  test('limits: count, value length, events, links, and attributes per event and per link', () => {
    const limits: Required<SpanLimits> = {
      attributeValueLengthLimit: 5,
      attributeCountLimit: 3,
      eventCountLimit: 2,
      linkCountLimit: 1,
      attributePerEventCountLimit: 1,
      attributePerLinkCountLimit: 1,
    }
    expectSame(
      both(
        (tracer) => {
          const first = tracer.startSpan('first')
          first.end()
          const span = tracer.startSpan('limited', {
            attributes: { a: 'truncated text', b: ['long string', 'ok', 7] as never, c: 12345678 },
            links: [{ context: first.spanContext(), attributes: { x: 1, y: 2 } }, { context: first.spanContext() }],
          })
          span.setAttribute('d', 'over the count')
          span.setAttribute('a', 'replaced, truncated')
          span.addEvent('one', { k: 'value too long', l: 2 })
          span.addEvent('two')
          span.addEvent('three', { m: true })
          span.addLink({ context: first.spanContext(), attributes: { z: 'zzzzzzzz' } })
          span.end()
        },
        new AlwaysOnSampler(),
        limits,
      ),
    )
  })

  test('no events and no links allowed', () => {
    const limits = { ...DEFAULT_LIMITS, eventCountLimit: 0, linkCountLimit: 0 }
    expectSame(
      both(
        (tracer) => {
          const span = tracer.startSpan('none allowed')
          span.addEvent('dropped')
          span.addLinks([{ context: span.spanContext() }])
          span.end()
        },
        new AlwaysOnSampler(),
        limits,
      ),
    )
  })

  test('exceptions, events with times, status rules, names, and nothing changes after end', () => {
    expectSame(
      both((tracer) => {
        const span = tracer.startSpan('work')
        span.recordException(Object.assign(new Error('stock gone'), { code: 'insufficient_inventory' }))
        span.recordException(new TypeError('connection refused'))
        span.recordException('just a message')
        span.recordException({} as Error)
        span.addEvent('at a time', Date.now())
        span.addEvent('with attributes and a time', { k: 1 }, [1_700_000_000, 5])
        span.setStatus({ code: SpanStatusCode.UNSET })
        span.setStatus({ code: SpanStatusCode.ERROR, message: 42 as never })
        span.updateName('renamed')
        span.end()
        span.setAttribute('after', 1)
        span.addEvent('after')
        span.setStatus({ code: SpanStatusCode.OK })
        span.updateName('after end')
        span.end()
        const ok = tracer.startSpan('ok')
        ok.setStatus({ code: SpanStatusCode.OK })
        ok.setStatus({ code: SpanStatusCode.ERROR, message: 'ignored once OK' })
        ok.end()
        const failed = tracer.startSpan('failed')
        failed.setStatus({ code: SpanStatusCode.ERROR, message: 'kaput' })
        failed.end()
      }),
    )
  })

  test('parents: active spans, explicit contexts, root spans, remote parents, and every startActiveSpan form', () => {
    expectSame(
      both((tracer) => {
        tracer.startActiveSpan('outer', (outer) => {
          tracer.startActiveSpan('with options', { kind: SpanKind.CLIENT }, (inner) => {
            tracer.startSpan('grandchild').end()
            tracer.startSpan('root', { root: true }).end()
            inner.end()
          })
          tracer.startActiveSpan('explicit context', {}, ROOT_CONTEXT, (span) => span.end())
          outer.end()
        })
        const remote = trace.setSpanContext(ROOT_CONTEXT, {
          traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
          spanId: '00f067aa0ba902b7',
          traceFlags: TraceFlags.SAMPLED,
          isRemote: true,
          traceState: new TraceState('vendor=abc'),
        })
        tracer.startSpan('child of remote', {}, remote).end()
        const invalid = trace.setSpanContext(ROOT_CONTEXT, {
          traceId: 'not-hex',
          spanId: '00f067aa0ba902b7',
          traceFlags: TraceFlags.SAMPLED,
        })
        tracer.startSpan('invalid parent: a root', {}, invalid).end()
      }),
    )
  })

  test('the sampler decides: dropped spans, and the attributes and trace state it adds', () => {
    const sampler: Sampler = {
      shouldSample: (_ctx, _traceId, name) =>
        name.startsWith('drop')
          ? { decision: SamplingDecision.NOT_RECORD }
          : name.startsWith('record only')
            ? { decision: SamplingDecision.RECORD }
            : {
                decision: SamplingDecision.RECORD_AND_SAMPLED,
                attributes: { 'sampler.rule': 'keep', invalid: {} as never },
                traceState: new TraceState('sampler=1'),
              },
      toString: () => 'test sampler',
    }
    const result = both((tracer) => {
      tracer.startSpan('keep', { attributes: { a: 1 } }).end()
      const dropped = tracer.startSpan('drop me')
      expect(dropped.isRecording()).toBe(false)
      dropped.end()
      tracer.startSpan('record only').end()
    }, sampler)
    expectSame(result)
    // Recorded but not sampled: ended, yet not exported.
    expect(result.lean.map((span) => span.name)).toEqual(['keep'])
  })

  test('parent-based sampling off, and suppressed tracing, make non-recording spans that carry the context', () => {
    for (const tracer of [
      new LeanTracer({
        resource: resourceFromAttributes({}),
        scope: { name: 'x' },
        sampler: new ParentBasedSampler({ root: new AlwaysOffSampler() }),
        spanLimits: DEFAULT_LIMITS,
      }),
    ]) {
      const span = tracer.startSpan('off')
      expect(span.isRecording()).toBe(false)
      expect(span.spanContext().traceFlags).toBe(TraceFlags.NONE)
      expect(span.spanContext().traceId).toMatch(/^[0-9a-f]{32}$/)
      const suppressed = tracer.startSpan('suppressed', {}, suppressTracing(context.active()))
      expect(suppressed.spanContext().traceId).toBe('0'.repeat(32))
    }
  })

  test('a child of an unsampled parent, under a sampler that follows it, is decided without the sampler', () => {
    let asked = 0
    const parentBased = new ParentBasedSampler({ root: new AlwaysOnSampler() })
    const counting: Sampler = {
      shouldSample: (...args) => {
        asked++
        return parentBased.shouldSample(...args)
      },
      toString: () => 'counting',
    }
    const tracerWith = (unsampledParentDecides: boolean) =>
      new LeanTracer({
        resource: resourceFromAttributes({}),
        scope: { name: 'x' },
        sampler: counting,
        spanLimits: DEFAULT_LIMITS,
        unsampledParentDecides,
      })
    const remote = (traceFlags: TraceFlags) =>
      trace.setSpanContext(ROOT_CONTEXT, {
        traceId: 'a'.repeat(32),
        spanId: 'b'.repeat(16),
        traceFlags,
        isRemote: true,
        traceState: new TraceState('vendor=1'),
      })
    const sdk = new BasicTracerProvider({ sampler: parentBased }).getTracer('x')
    const expected = sdk.startSpan('child', { attributes: { a: 1 } }, remote(TraceFlags.NONE))
    for (const decides of [true, false]) {
      const tracer = tracerWith(decides)
      asked = 0
      const child = tracer.startSpan('child', { attributes: { a: 1 } }, remote(TraceFlags.NONE))
      expect(child.isRecording()).toBe(false)
      const { spanId, ...rest } = child.spanContext()
      const { spanId: sdkSpanId, ...sdkRest } = expected.spanContext()
      expect({ ...rest, traceState: rest.traceState?.serialize() }).toEqual({
        ...sdkRest,
        traceState: sdkRest.traceState?.serialize(),
      })
      expect(spanId).toMatch(/^[0-9a-f]{16}$/)
      expect(spanId).not.toBe('b'.repeat(16))
      // A grandchild, of the unsampled child this tracer made, is decided the same way.
      const grandchild = tracer.startSpan('grandchild', {}, trace.setSpan(ROOT_CONTEXT, child))
      expect(grandchild.isRecording()).toBe(false)
      expect(grandchild.spanContext().traceId).toBe('a'.repeat(32))
      expect(asked).toBe(decides ? 0 : 2)
      expect(mayRecordUnder(tracer, remote(TraceFlags.NONE))).toBe(!decides)
      // A sampled parent, or none, is the sampler's to decide.
      expect(mayRecordUnder(tracer, remote(TraceFlags.SAMPLED))).toBe(true)
      expect(mayRecordUnder(tracer, ROOT_CONTEXT)).toBe(true)
      expect(tracer.startSpan('sampled child', {}, remote(TraceFlags.SAMPLED)).isRecording()).toBe(true)
      expect(tracer.startSpan('root', {}, ROOT_CONTEXT).isRecording()).toBe(true)
      expect(asked).toBe(decides ? 2 : 4)
    }
    // Another tracer may record anything.
    expect(mayRecordUnder(sdk, remote(TraceFlags.NONE))).toBe(true)
  })

  test('every sampler the environment names decides as the SDK does, with the fast path where it claims one', () => {
    const remote = (traceFlags: TraceFlags) =>
      trace.setSpanContext(ROOT_CONTEXT, {
        traceId: 'c'.repeat(32),
        spanId: 'd'.repeat(16),
        traceFlags,
        isRemote: true,
        traceState: new TraceState('vendor=1'),
      })
    const described = (span: Span) => {
      const { traceId, traceFlags, traceState } = span.spanContext()
      return { recording: span.isRecording(), traceId, traceFlags, traceState: traceState?.serialize() }
    }
    for (const name of SAMPLERS) {
      const { sampler, unsampledParentDecides } = samplerFromConfig(name, 0.5)
      expect(unsampledParentDecides).toBe(name === 'always_off' || name.startsWith('parentbased_'))
      const lean = new LeanTracer({
        resource: resourceFromAttributes({}),
        scope: { name: 'x' },
        sampler,
        spanLimits: DEFAULT_LIMITS,
        unsampledParentDecides,
      })
      const sdk = new BasicTracerProvider({ sampler }).getTracer('x')
      for (const parent of [remote(TraceFlags.NONE), remote(TraceFlags.SAMPLED)]) {
        expect(described(lean.startSpan('child', { attributes: { a: 1 } }, parent))).toEqual(
          described(sdk.startSpan('child', { attributes: { a: 1 } }, parent)),
        )
        // A root ignores its parent: the sampler decides a new trace (by its random id, for a ratio).
        const root = lean.startSpan('root', { root: true }, parent)
        expect(root.spanContext().traceId).not.toBe('c'.repeat(32))
        if (!name.endsWith('traceidratio')) expect(root.isRecording()).toBe(name.endsWith('always_on'))
      }
    }
  })

  test('times given as epoch milliseconds, performance time, Date and HrTime come out as the SDK has them', () => {
    const sdkExporter = new InMemorySpanExporter()
    const sdk = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(sdkExporter)] }).getTracer('t')
    const { tracer: lean, exporter: leanExporter } = exportingTracer()
    const times = [
      [1_700_000_000_123.5, 1_700_000_001_000],
      [new Date(1_700_000_000_000), new Date(1_700_000_002_500)],
      [
        [1_700_000_000, 1],
        [1_700_000_003, 999_999_999],
      ],
      [1_700_000_005_000, 1_700_000_004_000],
    ] as const
    for (const tracer of [sdk, lean]) {
      for (const [start, end] of times) tracer.startSpan('timed', { startTime: start as never }).end(end as never)
    }
    const pick = (spans: ReadableSpan[]) => spans.map((span) => [span.startTime, span.endTime, span.duration])
    expect(pick(leanExporter.getFinishedSpans())).toEqual(pick(sdkExporter.getFinishedSpans()))
  })

  test('default times: a start in epoch time and a duration from the monotonic clock', async () => {
    const { tracer, exporter } = exportingTracer()
    const before = Date.now()
    const span = tracer.startSpan('waits')
    await Bun.sleep(20)
    span.end()
    const [done] = exporter.getFinishedSpans()
    const startMillis = millis(done!.startTime)
    expect(startMillis).toBeGreaterThanOrEqual(before)
    const durationMillis = millis(done!.duration)
    expect(durationMillis).toBeGreaterThanOrEqual(15)
    expect(durationMillis).toBeLessThan(1000)
  })

  test("starts to the microsecond, within Date.now()'s millisecond: spans show in the order they started", () => {
    const { tracer, exporter } = exportingTracer()
    const before = Date.now()
    const spans = Array.from({ length: 200 }, (_, index) => tracer.startSpan(`root ${index}`))
    const after = Date.now()
    for (const span of spans) span.end()
    const starts = exporter.getFinishedSpans().map((span) => millis(span.startTime))
    // In the order they started, each within the milliseconds Date.now() said, and not all whole milliseconds.
    expect(starts).toEqual([...starts].sort((a, b) => a - b))
    for (const start of starts) {
      expect(start).toBeGreaterThanOrEqual(before)
      expect(start).toBeLessThan(after + 1)
    }
    expect(starts.some((start) => start % 1 !== 0)).toBe(true)
  })

  test("a trace's spans are placed by one clock: children in order, inside their parent, when the wall clock is set between them", () => {
    const { tracer, exporter } = exportingTracer()
    const wallClock = Date.now
    const setWallClock = (byMillis: number) => {
      Date.now = () => wallClock() + byMillis
    }
    try {
      const parent = tracer.startSpan('parent')
      const inParent = trace.setSpan(context.active(), parent)
      const children = [-5, 5, 0].map((byMillis, index) => {
        // A wall clock set back or forward: a new root follows it; a child stays on its parent's clock.
        setWallClock(byMillis)
        const before = Date.now()
        const root = tracer.startSpan(`root ${index}`)
        const after = Date.now()
        root.end()
        const rootStart = millis(exporter.getFinishedSpans().at(-1)!.startTime)
        expect(rootStart).toBeGreaterThanOrEqual(before)
        expect(rootStart).toBeLessThan(after + 1)
        return tracer.startSpan(`child ${index}`, {}, inParent)
      })
      // A time of the performance timeline is on the same clock: an event now, an end given as `performance.now()`.
      children[0]!.addEvent('now', {}, performance.now())
      children[0]!.end(performance.now())
      for (const child of children.slice(1)) child.end()
      parent.end()
      const byName = new Map(exporter.getFinishedSpans().map((span) => [span.name, span]))
      const parentSpan = byName.get('parent')!
      const childSpans = ['child 0', 'child 1', 'child 2'].map((name) => byName.get(name)!)
      const starts = childSpans.map((span) => millis(span.startTime))
      expect(starts).toEqual([...starts].sort((a, b) => a - b))
      for (const child of childSpans) {
        expect(millis(child.startTime)).toBeGreaterThanOrEqual(millis(parentSpan.startTime))
        expect(millis(child.endTime)).toBeLessThanOrEqual(millis(parentSpan.endTime))
      }
      const [event] = childSpans[0]!.events
      expect(millis(event!.time)).toBeGreaterThanOrEqual(millis(childSpans[0]!.startTime))
      expect(millis(event!.time)).toBeLessThanOrEqual(millis(childSpans[0]!.endTime))
      // The parent lasted as long as the monotonic clock says, whatever the wall clock did meanwhile.
      expect(millis(parentSpan.duration)).toBeLessThan(5)
    } finally {
      Date.now = wallClock
    }
  })

  test('ids are lowercase hex of the right length, distinct, and children share their parent trace id', () => {
    const tracer = new LeanTracer({
      resource: resourceFromAttributes({}),
      scope: { name: 't' },
      sampler: new AlwaysOnSampler(),
      spanLimits: DEFAULT_LIMITS,
    })
    const ids = new Set<string>()
    for (let i = 0; i < 2000; i++) {
      const root = tracer.startSpan('root')
      const child = tracer.startSpan('child', {}, trace.setSpan(ROOT_CONTEXT, root))
      expect(root.spanContext().traceId).toMatch(/^[0-9a-f]{32}$/)
      expect(root.spanContext().spanId).toMatch(/^[0-9a-f]{16}$/)
      expect(child.spanContext().traceId).toBe(root.spanContext().traceId)
      ids.add(root.spanContext().spanId).add(child.spanContext().spanId)
    }
    expect(ids.size).toBe(4000)
  })
})
