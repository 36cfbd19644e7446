import { context, SpanKind, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api'
import { createMiddleware } from 'hono/factory'
import { routePath } from 'hono/route'
import { serverAttributes } from './http-attributes.ts'
import { extractContext } from './propagation.ts'
import { errorType } from './span.ts'

export interface HttpTracingOptions {
  tracer: Tracer
  /** Adds `X-Trace-Id` to every answer so a user can go from any response to its trace. */
  traceIdHeader?: boolean
}

/**
 * Hono middleware: one SERVER span per request, a child of the incoming W3C trace context, named
 * `METHOD /route/:template` once routing is known, with HTTP semantic-convention attributes.
 * Status ERROR on 5xx answers and thrown errors, as the HTTP server conventions say; 4xx stays unset.
 */
export const httpTracing = ({ tracer, traceIdHeader = true }: HttpTracingOptions) =>
  createMiddleware(async function httpTracing(c, next) {
    const url = new URL(c.req.url)
    const parent = extractContext(c.req.raw.headers)
    const span = tracer.startSpan(
      c.req.method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': c.req.method,
          'url.path': url.pathname,
          'url.scheme': url.protocol.replace(':', ''),
          ...serverAttributes(url),
          'user_agent.original': c.req.header('user-agent'),
        },
      },
      parent,
    )
    // An error escapes only from an app without `onError`; it is still a 500 with its route on the span.
    let escaped: Error | undefined
    try {
      await context.with(trace.setSpan(parent, span), next)
    } catch (error) {
      escaped = error instanceof Error ? error : new Error(String(error))
    }
    const route = routePath(c, -1)
    if (route && route !== '/*' && route !== '*') {
      span.setAttribute('http.route', route)
      span.updateName(`${c.req.method} ${route}`)
    }
    const status = escaped ? 500 : c.res.status
    span.setAttribute('http.response.status_code', status)
    const error = escaped ?? c.error
    if (status >= 500) {
      if (error) span.recordException(error)
      span.setAttribute('error.type', error ? errorType(error) : String(status))
      span.setStatus({ code: SpanStatusCode.ERROR, message: error?.message })
    }
    if (!escaped && traceIdHeader) setHeader(c, 'X-Trace-Id', span.spanContext().traceId)
    span.end()
    if (escaped) throw escaped
  })

/** Responses built from a fetch are immutable; copy them once when that is the case. */
function setHeader(c: { res: Response }, name: string, value: string): void {
  try {
    c.res.headers.set(name, value)
  } catch {
    c.res = new Response(c.res.body, c.res)
    c.res.headers.set(name, value)
  }
}
