import {
  type Context,
  context,
  INVALID_SPANID,
  INVALID_TRACEID,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  type SpanContext,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  trace,
} from '@opentelemetry/api'
import {
  CompositePropagator,
  isTracingSuppressed,
  TraceState,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core'
import { isOwnRecordingSpan } from './tracer.ts'

/**
 * The SDK's W3C trace-context propagator, with a quicker reading of the `traceparent` every traced caller sends:
 * version 00, lowercase hex ids that are not all zero, nothing after the flags. The SDK's regular expression (with
 * lookaheads) costs more than the rest of an extract; any other form of the header still goes to it. Written, the
 * header of a span our tracer made skips the SDK's check of its ids (two more regular expressions): they are valid
 * by construction.
 */
class TraceContextPropagator extends W3CTraceContextPropagator {
  override inject(ctx: Context, carrier: unknown, setter: TextMapSetter): void {
    const span = trace.getSpan(ctx)
    if (!span || !isOwnRecordingSpan(span) || isTracingSuppressed(ctx)) {
      super.inject(ctx, carrier, setter)
      return
    }
    // What the SDK writes once it has checked the ids.
    const { traceId, spanId, traceFlags, traceState } = span.spanContext()
    setter.set(carrier, 'traceparent', `00-${traceId}-${spanId}-0${Number(traceFlags || 0).toString(16)}`)
    if (traceState) setter.set(carrier, 'tracestate', traceState.serialize())
  }

  override extract(ctx: Context, carrier: unknown, getter: TextMapGetter): Context {
    const header = getter.get(carrier, 'traceparent')
    const spanContext = typeof header === 'string' ? usualTraceParent(header) : undefined
    if (!spanContext) return super.extract(ctx, carrier, getter)
    // What the SDK does once it has parsed the header.
    const traceState = getter.get(carrier, 'tracestate')
    if (traceState)
      spanContext.traceState = new TraceState(Array.isArray(traceState) ? traceState.join(',') : traceState)
    return trace.setSpanContext(ctx, spanContext)
  }
}

/** `00-<trace id>-<span id>-<flags>` as the SDK parses it, or undefined if the header has any other form. */
function usualTraceParent(header: string): SpanContext | undefined {
  if (header.length !== 55 || !header.startsWith('00-') || header[35] !== '-' || header[52] !== '-') return undefined
  for (let i = 3; i < 55; i++) {
    const code = header.charCodeAt(i)
    const hex = (code >= 48 && code <= 57) || (code >= 97 && code <= 102)
    if (!hex && i !== 35 && i !== 52) return undefined
  }
  const traceId = header.slice(3, 35)
  const spanId = header.slice(36, 52)
  if (traceId === INVALID_TRACEID || spanId === INVALID_SPANID) return undefined
  return { traceId, spanId, traceFlags: Number.parseInt(header.slice(53), 16), isRemote: true }
}

/** W3C `traceparent`/`tracestate` and `baggage`; malformed headers are ignored, so the request starts a fresh trace. */
export const w3cPropagator: TextMapPropagator = new CompositePropagator({
  propagators: [new TraceContextPropagator(), new W3CBaggagePropagator()],
})

const headerGetter = {
  keys: (headers: Headers) => [...headers.keys()],
  get: (headers: Headers, key: string) => headers.get(key) ?? undefined,
}

const headerSetter = {
  set: (headers: Headers, key: string, value: string) => headers.set(key, value),
}

export function extractContext(headers: Headers, parent: Context = context.active()): Context {
  return w3cPropagator.extract(parent, headers, headerGetter)
}

export function injectContext(headers: Headers, ctx: Context = context.active()): void {
  w3cPropagator.inject(ctx, headers, headerSetter)
}

/** Whether injecting `ctx` writes anything: it has a valid span context or baggage. */
export function hasContextToInject(ctx: Context): boolean {
  const spanContext = trace.getSpanContext(ctx)
  return (spanContext !== undefined && isSpanContextValid(spanContext)) || propagation.getBaggage(ctx) !== undefined
}

const traceContextOnly = new TraceContextPropagator()

/** Only `traceparent`/`tracestate`: for calls that leave the system, where the callers' baggage has no business. */
export function injectTraceContext(headers: Headers, ctx: Context = context.active()): void {
  traceContextOnly.inject(ctx, headers, headerSetter)
}

/** The W3C `traceparent` of the span active in `ctx` (to store it, e.g. with an outbox row), if there is one. */
export function traceparentOf(ctx: Context = context.active()): string | undefined {
  const headers = new Headers()
  injectContext(headers, ctx)
  return headers.get('traceparent') ?? undefined
}

/** The span context a stored `traceparent` names (to link to it), or undefined if it is missing or malformed. */
export function spanContextOf(traceparent: string | null | undefined): SpanContext | undefined {
  if (!traceparent) return undefined
  return trace.getSpanContext(extractContext(new Headers({ traceparent }), ROOT_CONTEXT))
}

/** The value of one baggage entry of the active context, if any. */
export function baggageValue(key: string, ctx: Context = context.active()): string | undefined {
  return propagation.getBaggage(ctx)?.getEntry(key)?.value
}
