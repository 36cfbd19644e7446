import {
  type Context,
  context,
  INVALID_SPAN_CONTEXT,
  isSpanContextValid,
  type Span,
  type SpanOptions,
  type Tracer,
  trace,
} from '@opentelemetry/api'
import { activeSpanCall } from './tracer.ts'

/**
 * The tracer of a service whose tracing is disabled (OTEL_SDK_DISABLED). It does what the API's no-op tracer does:
 * a span is its parent's span context, not recording (an invalid one for a root or with no valid parent), so an
 * incoming `traceparent` and `baggage` still reach downstream calls. Unlike it, a span that only repeats its
 * parent's context makes no new one: the parent's span is returned, and `startActiveSpan` runs its function in the
 * caller's context (no context copy, no AsyncLocalStorage frame), since nothing could tell the two contexts apart.
 * The wrappers ask `isUntraced` and skip what would go on a span.
 */
export class UntracedTracer implements Tracer {
  startSpan(_name: string, options?: SpanOptions, ctx: Context = context.active()): Span {
    return options?.root ? INVALID_SPAN : spanOf(ctx)
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, fn: F): ReturnType<F>
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, fn: F): ReturnType<F>
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    options: SpanOptions,
    ctx: Context,
    fn: F,
  ): ReturnType<F>
  startActiveSpan<F extends (span: Span) => unknown>(
    _name: string,
    arg2?: SpanOptions | F,
    arg3?: Context | F,
    arg4?: F,
  ): ReturnType<F> | undefined {
    const call = activeSpanCall(arg2, arg3, arg4)
    if (!call) return undefined
    const parent = call.ctx ?? context.active()
    const span = call.options?.root ? INVALID_SPAN : spanOf(parent)
    const run = call.fn as (span: Span) => ReturnType<F>
    if (!repeats(parent, span)) return context.with(trace.setSpan(parent, span), run, undefined, span)
    if (call.ctx === undefined || call.ctx === context.active()) return run(span)
    return context.with(call.ctx, run, undefined, span)
  }
}

/** Whether `tracer` records nothing (tracing disabled): the wrappers then only carry the context along. */
export function isUntraced(tracer: Tracer): boolean {
  return tracer instanceof UntracedTracer
}

const INVALID_SPAN = trace.wrapSpanContext(INVALID_SPAN_CONTEXT)

/** Whether `ctx` already says what a context with `span` would: `span` is its span, or invalid as its span is. */
function repeats(ctx: Context, span: Span): boolean {
  const current = trace.getSpan(ctx)
  if (span === current) return true
  return span === INVALID_SPAN && (current === undefined || !isSpanContextValid(current.spanContext()))
}

/** The non-recording span of `ctx`'s span context: its own span when that is one already. */
function spanOf(ctx: Context): Span {
  const parent = trace.getSpan(ctx)
  if (!parent) return INVALID_SPAN
  const spanContext = parent.spanContext()
  if (!isSpanContextValid(spanContext)) return INVALID_SPAN
  return parent.isRecording() ? trace.wrapSpanContext(spanContext) : parent
}
