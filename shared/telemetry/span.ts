import { type Span, type SpanOptions, SpanStatusCode, type Tracer } from '@opentelemetry/api'
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions'

/**
 * Runs `work` inside an active span named `name`. A thrown error marks the span ERROR with the error recorded
 * and is rethrown; the span always ends.
 */
export function inSpan<T>(
  tracer: Tracer,
  name: string,
  options: SpanOptions,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  return tracer.startActiveSpan(name, options, (span) => endSpanAfter(span, work))
}

/**
 * Runs `work` for a span that is already started, without making it active (the caller decides where its context
 * goes). A thrown error marks the span ERROR with the error recorded and is rethrown; the span always ends.
 */
export async function endSpanAfter<T>(span: Span, work: (span: Span) => Promise<T>): Promise<T> {
  try {
    return await work(span)
  } catch (error) {
    markError(span, error)
    throw error
  } finally {
    span.end()
  }
}

/** Records `error` on `span` with status ERROR and `error.type` (its code when it has one, else its class). */
export function markError(span: Span, error: unknown): void {
  const err = error instanceof Error ? error : new Error(String(error))
  span.recordException(err)
  span.setAttribute(ATTR_ERROR_TYPE, errorType(err))
  span.setStatus({ code: SpanStatusCode.ERROR, message: err.message })
}

/** `error.type` of an error: its code when it has one (`payment_timeout`), else its class (`TypeError`). */
export function errorType(error: Error): string {
  const code = (error as { code?: unknown }).code
  return typeof code === 'string' ? code : error.name
}
