import { context, type Context, propagation, type TextMapPropagator } from '@opentelemetry/api'
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

/** The value of one baggage entry of the active context, if any. */
export function baggageValue(key: string, ctx: Context = context.active()): string | undefined {
  return propagation.getBaggage(ctx)?.getEntry(key)?.value
}
