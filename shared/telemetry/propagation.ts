import {
  type Context,
  context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  type SpanContext,
  type TextMapPropagator,
  trace,
} from '@opentelemetry/api'
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core'

/** W3C `traceparent`/`tracestate` and `baggage`; malformed headers are ignored, so the request starts a fresh trace. */
export const w3cPropagator: TextMapPropagator = new CompositePropagator({
  propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
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

const traceContextOnly = new W3CTraceContextPropagator()

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
