import { context, SpanKind, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api'
import { ATTR_ERROR_TYPE, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_URL_FULL } from '@opentelemetry/semantic-conventions'
import { methodAttributes, redactedQuery, serverAttributes } from './http-attributes.ts'
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
    const method = methodAttributes(request.method)
    const query = redactedQuery(url)
    const span = tracer.startSpan(method.spanName, {
      kind: SpanKind.CLIENT,
      attributes: {
        ...method.attributes,
        // Credentials in the URL are left out, and the query's values: they may be what a trace should not keep.
        // (`network.protocol.version` is left out: fetch does not say which HTTP version it negotiated.)
        [ATTR_URL_FULL]: `${url.origin}${url.pathname}${query ? `?${query}` : ''}`,
        ...serverAttributes(url),
      },
    })
    const headers = new Headers(request.headers)
    inject(headers, trace.setSpan(context.active(), span))
    return endSpanAfter(span, async () => {
      const response = await base(new Request(request, { headers }))
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, response.status)
      if (response.status >= 400) {
        span.setAttribute(ATTR_ERROR_TYPE, String(response.status))
        span.setStatus({ code: SpanStatusCode.ERROR })
      }
      return response
    })
  }
}
