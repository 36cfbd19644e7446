import {
  type Attributes,
  type Context,
  context,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api'
import { ATTR_ERROR_TYPE, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_URL_FULL } from '@opentelemetry/semantic-conventions'
import { addMethodAttributes, addServerAttributes, redactedQuery, spanNameOf } from './http-attributes.ts'
import { hasContextToInject, injectContext, injectTraceContext } from './propagation.ts'
import { endSpanAfter } from './span.ts'
import { mayRecordUnder } from './tracer.ts'
import { isUntraced } from './untraced-tracer.ts'

export type Fetch = (input: Request | string | URL, init?: RequestInit) => Promise<Response>

/** Headers of outgoing calls copied by `outgoingHeaders`: the wrappers of the call they belong to may add to them. */
const callHeaders = new WeakSet<Headers>()

/**
 * The headers `(input, init)` will be sent with, for a wrapper to add to: the first wrapper of a call copies the
 * caller's (`init.headers`, which replace a Request's own as `fetch` has it, else the Request's), the wrappers
 * after it find that copy in `init` and add to it. No wrapper builds a Request: the fetch at the end builds the only
 * one, and the caller's own headers are never changed.
 */
export function outgoingHeaders(input: Request | string | URL, init: RequestInit | undefined): Headers {
  const given = init?.headers
  if (given instanceof Headers && callHeaders.has(given)) return given
  const headers = new Headers(given ?? (input instanceof Request ? input.headers : undefined))
  callHeaders.add(headers)
  return headers
}

/** The method `fetch` will send: the six it normalizes upper-cased (`post` → `POST`), any other as given. */
export function outgoingMethod(input: Request | string | URL, init: RequestInit | undefined): string {
  const method = init?.method ?? (input instanceof Request ? input.method : 'GET')
  const upper = method.toUpperCase()
  return NORMALIZED_METHODS.has(upper) ? upper : method
}

const NORMALIZED_METHODS = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT'])

/**
 * Wraps any fetch (global fetch, a Worker's service binding) so each call is a CLIENT span whose context travels
 * in the request's `traceparent`, `tracestate` and `baggage` headers. ERROR on network failures and 4xx/5xx answers,
 * as the HTTP client conventions say. `external: true` is for calls that leave the system (a webhook): baggage,
 * which callers of the public API can fill, is not passed on there.
 */
export function tracedFetch(tracer: Tracer, base: Fetch, { external = false } = {}): Fetch {
  const inject = external ? injectTraceContext : injectContext
  if (isUntraced(tracer)) return propagatingFetch(base, inject)
  return async function tracedFetch(input, init) {
    const method = outgoingMethod(input, init)
    const parent = context.active()
    // In a trace that is not sampled the span records nothing: its attributes are not worked out.
    const attributes = mayRecordUnder(tracer, parent) ? clientAttributes(input, method) : undefined
    const span = tracer.startSpan(spanNameOf(method), { kind: SpanKind.CLIENT, attributes }, parent)
    const headers = outgoingHeaders(input, init)
    inject(headers, trace.setSpan(parent, span))
    return endSpanAfter(span, async () => {
      const response = await base(input, { ...init, headers })
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, response.status)
      if (response.status >= 400) {
        span.setAttribute(ATTR_ERROR_TYPE, String(response.status))
        span.setStatus({ code: SpanStatusCode.ERROR })
      }
      return response
    })
  }
}

/** The attributes a CLIENT span starts with. */
function clientAttributes(input: Request | string | URL, method: string): Attributes {
  const url = new URL(input instanceof Request ? input.url : input)
  const query = redactedQuery(url)
  const attributes: Attributes = {}
  addMethodAttributes(attributes, method)
  // Credentials in the URL are left out, and the query's values: they may be what a trace should not keep.
  // (`network.protocol.version` is left out: fetch does not say which HTTP version it negotiated.)
  attributes[ATTR_URL_FULL] = `${url.origin}${url.pathname}${query ? `?${query}` : ''}`
  addServerAttributes(attributes, url)
  return attributes
}

/**
 * A call of a service whose tracing is disabled: no span, but the caller's trace context and baggage still go with
 * it (an incoming `traceparent`, a fault asked for in baggage). With nothing to send, the call goes out as it came,
 * without a copy of its headers.
 */
function propagatingFetch(base: Fetch, inject: (headers: Headers, ctx: Context) => void): Fetch {
  return function propagatingFetch(input, init) {
    const ctx = context.active()
    if (!hasContextToInject(ctx)) return base(input, init)
    const headers = outgoingHeaders(input, init)
    inject(headers, ctx)
    return base(input, { ...init, headers })
  }
}
