import { describe, expect, test } from 'bun:test'
import { type Context, ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api'
import { suppressTracing, TraceState, W3CTraceContextPropagator } from '@opentelemetry/core'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { AlwaysOnSampler } from '@opentelemetry/sdk-trace-base'
import { readTelemetryConfig } from '../../shared/telemetry/config.ts'
import { installContextManager } from '../../shared/telemetry/context.ts'
import { injectContext, injectTraceContext } from '../../shared/telemetry/propagation.ts'
import { LeanTracer } from '../../shared/telemetry/tracer.ts'

installContextManager()

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
