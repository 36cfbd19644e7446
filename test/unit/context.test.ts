import { describe, expect, test } from 'bun:test'
import {
  type Context,
  context,
  createContextKey,
  propagation,
  ROOT_CONTEXT,
  TraceFlags,
  trace,
} from '@opentelemetry/api'
import { suppressTracing, TraceState, W3CTraceContextPropagator } from '@opentelemetry/core'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { AlwaysOnSampler } from '@opentelemetry/sdk-trace-base'
import { readTelemetryConfig } from '../../shared/telemetry/config.ts'
import { installContextManager } from '../../shared/telemetry/context.ts'
import { injectContext, injectTraceContext } from '../../shared/telemetry/propagation.ts'
import { LeanTracer } from '../../shared/telemetry/tracer.ts'

installContextManager()

describe('contexts made from the active one (frames on frames)', () => {
  test('read, set and deleted as the API’s own context, past the depth where frames are folded', () => {
    const keys = Array.from({ length: 5 }, (_, i) => createContextKey(`key ${i}`))
    // The active context outside any `with`: the manager's empty frame, not the API's root.
    let framed: Context = context.active()
    expect(framed).not.toBe(ROOT_CONTEXT)
    let api: Context = ROOT_CONTEXT
    // A fixed pseudo-random walk (no Math.random: a failure must be reproducible), 200 steps deep.
    let seed = 7
    for (let step = 0; step < 200; step++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      const key = keys[seed % keys.length]!
      if (seed % 7 === 0) {
        framed = framed.deleteValue(key)
        api = api.deleteValue(key)
      } else {
        framed = framed.setValue(key, step)
        api = api.setValue(key, step)
      }
      for (const each of keys) expect(framed.getValue(each)).toBe(api.getValue(each))
    }
  })

  test('a context is never changed by the ones made from it', () => {
    const key = createContextKey('key')
    const parent = context.active().setValue(key, 'parent')
    const child = parent.setValue(key, 'child')
    const deleted = child.deleteValue(key)
    expect([parent.getValue(key), child.getValue(key), deleted.getValue(key)]).toEqual(['parent', 'child', undefined])
  })

  test('what `with` makes active is what the API reads back, spans and baggage alike', () => {
    const span = trace.wrapSpanContext({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 })
    const baggage = propagation.createBaggage({ tenant: { value: 'acme' } })
    const ctx = propagation.setBaggage(trace.setSpan(context.active(), span), baggage)
    context.with(ctx, () => {
      expect(trace.getActiveSpan()).toBe(span)
      expect(propagation.getActiveBaggage()).toBe(baggage)
    })
    expect(trace.getActiveSpan()).toBeUndefined()
  })
})

describe('the trace context our spans write', () => {
  const tracer = new LeanTracer({
    resource: resourceFromAttributes({ 'service.name': 'order' }),
    scope: { name: 'order', version: undefined, schemaUrl: undefined },
    sampler: new AlwaysOnSampler(),
    spanLimits: readTelemetryConfig({}, 'order').spanLimits,
  })
  const sdkPropagator = new W3CTraceContextPropagator()
  const setter = { set: (headers: Headers, key: string, value: string) => headers.set(key, value) }

  /** The headers our propagation and the SDK's propagator write for `ctx`. */
  function both(ctx: Context) {
    const ours = new Headers()
    const onlyTraceContext = new Headers()
    const sdk = new Headers()
    injectContext(ours, ctx)
    injectTraceContext(onlyTraceContext, ctx)
    sdkPropagator.inject(ctx, sdk, setter)
    return { ours: [...ours], onlyTraceContext: [...onlyTraceContext], sdk: [...sdk] }
  }

  test.each([
    ['sampled', {}],
    ['with a trace state', { traceState: new TraceState('vendor=value') }],
  ])('%s: the same headers as the SDK’s propagator', (_, extra) => {
    const parent = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: 'c'.repeat(32),
      spanId: 'd'.repeat(16),
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
      ...extra,
    })
    const span = tracer.startSpan('call', {}, parent)
    const { ours, onlyTraceContext, sdk } = both(trace.setSpan(ROOT_CONTEXT, span))
    expect(sdk.length).toBeGreaterThan(0)
    expect(ours).toEqual(sdk)
    expect(onlyTraceContext).toEqual(sdk)
  })

  test('tracing suppressed: nothing, as the SDK writes', () => {
    const span = tracer.startSpan('call')
    const { ours, sdk } = both(suppressTracing(trace.setSpan(ROOT_CONTEXT, span)))
    expect(ours).toEqual([])
    expect(sdk).toEqual([])
  })
})
