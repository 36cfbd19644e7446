import { context, SpanKind, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api'
import { serverAttributes } from './http-attributes.ts'
import { injectContext, injectTraceContext } from './propagation.ts'
import { endSpanAfter } from './span.ts'

export type Fetch = (input: Request | string | URL, init?: RequestInit) => Promise<Response>

/**
 * Wraps any fetch (global fetch, a Worker's service binding) so each call is a CLIENT span whose context travels
 * in the request's `traceparent`, `tracestate` and `baggage` headers. ERROR on network failures and 4xx/5xx answers,
 * as the HTTP client conventions say. `external: true` is for calls that leave the system (a webhook): baggage,
 * which callers of the public API can fill, is not passed on there.
 */
export function tracedFetch(tracer: Tracer, base: Fetch, { external = false } = {}): Fetch {
  const inject = external ? injectTraceContext : injectContext
  return async function tracedFetch(input, init) {
    const request = new Request(input, init)
    const url = new URL(request.url)
    const span = tracer.startSpan(request.method, {
      kind: SpanKind.CLIENT,
      attributes: {
        'http.request.method': request.method,
        // The query is left out: it may carry values a trace should not keep.
        'url.full': `${url.origin}${url.pathname}`,
        ...serverAttributes(url),
      },
    })
    const headers = new Headers(request.headers)
    inject(headers, trace.setSpan(context.active(), span))
    return endSpanAfter(span, async () => {
      const response = await base(new Request(request, { headers }))
      span.setAttribute('http.response.status_code', response.status)
      if (response.status >= 400) {
        span.setAttribute('error.type', String(response.status))
        span.setStatus({ code: SpanStatusCode.ERROR })
      }
      return response
    })
  }
}
