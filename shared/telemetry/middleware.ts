import {
  type Attributes,
  context,
  isSpanContextValid,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api'
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
  ATTR_URL_QUERY,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions'
import type { Context, Next } from 'hono'
import { createMiddleware } from 'hono/factory'
import { routePath } from 'hono/route'
import {
  addClientAttributes,
  addMethodAttributes,
  addProtocolAttributes,
  addServerAttributes,
  redactedQuery,
  requestUrl,
  spanNameOf,
} from './http-attributes.ts'
import { extractContext } from './propagation.ts'
import { errorType } from './span.ts'
import { mayRecordUnder } from './tracer.ts'
import { isUntraced } from './untraced-tracer.ts'

export interface HttpTracingOptions {
  tracer: Tracer
  /**
   * Adds `X-Trace-Id` to every traced answer so a user can go from a response to its trace. Left out when the
   * request has no valid trace context (tracing disabled and no incoming `traceparent`): an all-zero id names nothing.
   */
  traceIdHeader?: boolean
  /** Requests that get no span at all; by default the health checks (see `isHealthCheck`). */
  ignore?: (request: Request) => boolean
}

/**
 * `GET` or `HEAD /healthz`: a runner or load balancer polls it every few seconds, and each poll would be a trace of
 * its own, burying the ones worth reading.
 */
export function isHealthCheck(request: Request): boolean {
  return (request.method === 'GET' || request.method === 'HEAD') && requestUrl(request.url).pathname === '/healthz'
}

/**
 * Hono middleware: one SERVER span per request, a child of the incoming W3C trace context, named
 * `METHOD /route/:template` once routing is known, with the stable HTTP server semantic-convention attributes.
 * Status ERROR on 5xx answers and thrown errors, as the HTTP server conventions say; 4xx stays unset.
 */
export const httpTracing = ({ tracer, traceIdHeader = true, ignore = isHealthCheck }: HttpTracingOptions) => {
  const untraced = isUntraced(tracer)
  return createMiddleware(async function httpTracing(c, next) {
    const request = c.req.raw
    if (ignore(request)) return next()
    if (untraced) return propagateOnly(c, next, traceIdHeader)
    const parent = extractContext(request.headers)
    const method = request.method
    // In a trace that is not sampled the span records nothing: its attributes are not worked out.
    const attributes = mayRecordUnder(tracer, parent) ? serverAttributes(request, method, c.env) : undefined
    const spanName = spanNameOf(method)
    const span = tracer.startSpan(spanName, { kind: SpanKind.SERVER, attributes }, parent)
    // An error escapes only from an app without `onError`; it is still a 500 with its route on the span.
    let escaped: Error | undefined
    try {
      await context.with(trace.setSpan(parent, span), next)
    } catch (error) {
      escaped = error instanceof Error ? error : new Error(String(error))
    }
    const route = routePath(c, -1)
    if (route && route !== '/*' && route !== '*') {
      span.setAttribute(ATTR_HTTP_ROUTE, route)
      span.updateName(`${spanName} ${route}`)
    }
    const status = escaped ? 500 : c.res.status
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status)
    const error = escaped ?? c.error
    if (status >= 500) {
      if (error) span.recordException(error)
      span.setAttribute(ATTR_ERROR_TYPE, error ? errorType(error) : String(status))
      span.setStatus({ code: SpanStatusCode.ERROR, message: error?.message })
    }
    const spanContext = span.spanContext()
    // A recording span's ids are valid by construction; only a non-recording one (tracing off) needs checking.
    if (!escaped && traceIdHeader && (span.isRecording() || isSpanContextValid(spanContext)))
      setHeader(c, 'X-Trace-Id', spanContext.traceId)
    span.end()
    if (escaped) throw escaped
  })
}

/**
 * The attributes a SERVER span starts with. `env` is what the runtime passed `fetch` besides the request: Bun's server,
 * Deno's connection info.
 */
function serverAttributes(request: Request, method: string, env: unknown): Attributes {
  const url = requestUrl(request.url)
  // One attributes object, filled in place: no object per group of attributes.
  const attributes: Attributes = {}
  addMethodAttributes(attributes, method)
  attributes[ATTR_URL_PATH] = url.pathname
  attributes[ATTR_URL_QUERY] = redactedQuery(url)
  attributes[ATTR_URL_SCHEME] = url.protocol.slice(0, -1)
  addServerAttributes(attributes, url)
  addClientAttributes(attributes, request, env)
  addProtocolAttributes(attributes, request, url, env)
  attributes[ATTR_USER_AGENT_ORIGINAL] = request.headers.get('user-agent') ?? undefined
  return attributes
}

/**
 * Tracing disabled: no span, no attributes; the request runs in the context its headers carry (the caller's trace
 * context and baggage, passed on downstream), or in the current one when they carry none. X-Trace-Id names the
 * caller's trace, as the no-op span wrapping it would.
 */
async function propagateOnly(c: Context, next: Next, traceIdHeader: boolean): Promise<void> {
  const active = context.active()
  const parent = extractContext(c.req.raw.headers, active)
  if (parent === active) return next()
  await context.with(parent, next)
  const spanContext = trace.getSpanContext(parent)
  if (traceIdHeader && spanContext && isSpanContextValid(spanContext)) setHeader(c, 'X-Trace-Id', spanContext.traceId)
}

/** Responses built from a fetch are immutable; copy them once when that is the case. */
function setHeader(c: { res: Response }, name: string, value: string): void {
  try {
    c.res.headers.set(name, value)
  } catch {
    c.res = new Response(c.res.body, c.res)
    c.res.headers.set(name, value)
  }
}
