import type { Tracer } from '@opentelemetry/api'
import { bearer, CREDENTIAL_HEADER } from './credential.ts'
import { deadlineFetch } from './deadline.ts'
import { AppError, type ErrorBody, type ErrorCode } from './errors.ts'
import { type Fetch, outgoingHeaders, tracedFetch } from './telemetry/fetch.ts'

/** How a caller reaches a service: a base URL and the fetch to use (global fetch, or a Worker's service binding). */
export interface Upstream {
  baseUrl: string
  fetch: Fetch
}

/**
 * How every service calls another: a CLIENT span around a call bounded by the request's deadline, carrying the
 * services' credential (`token`) that internal services ask for.
 */
export function upstreamFetch(tracer: Tracer, base: Fetch, token: string | undefined): Fetch {
  return tracedFetch(tracer, deadlineFetch(withCredential(base, token)))
}

/** Adds the credential header to every call, on the call's shared copy of its headers; it never goes on a span. */
function withCredential(base: Fetch, token: string | undefined): Fetch {
  if (!token) return base
  const credential = bearer(token)
  return (input, init) => {
    const headers = outgoingHeaders(input, init)
    headers.set(CREDENTIAL_HEADER, credential)
    return base(input, { ...init, headers })
  }
}

export interface JsonResponse {
  ok: boolean
  status: number
  json(): Promise<unknown>
}

/**
 * Awaits a typed-client call and returns its JSON body. The service's own JSON errors come back as the same
 * `AppError`, so a 409 from inventory leaves the gateway as that 409; a service that cannot be reached, or answers
 * something that is not ours, is `503 upstream_unavailable`, logged with why (the caller sees only the code); one that
 * outlives the deadline is a 504.
 */
export async function unwrap<T>(
  service: string,
  pending: Promise<JsonResponse>,
  timeoutCode: ErrorCode = 'upstream_timeout',
): Promise<T> {
  let response: JsonResponse
  try {
    response = await pending
  } catch (cause) {
    if (cause instanceof AppError) throw cause
    if ((cause as Error)?.name === 'TimeoutError')
      throw new AppError(504, timeoutCode, `${service} service did not answer within the request's deadline`)
    throw unavailable(`${service} service is unavailable`, cause)
  }
  const body = await response.json().catch(() => undefined)
  if (response.ok) return body as T
  const error = (body as ErrorBody | undefined)?.error
  // A 401 means the services' credentials differ (a misconfiguration): to the caller, the service is unavailable.
  if (!error?.code || (response.status >= 500 && error.code === 'internal_error') || response.status === 401) {
    throw unavailable(`${service} service answered ${response.status}`, error ?? body)
  }
  throw new AppError(response.status as AppError['status'], error.code, error.message, error.details)
}

function unavailable(message: string, why: unknown): AppError {
  console.warn(why === undefined ? message : `${message}: ${oneLine(why)}`)
  return new AppError(503, 'upstream_unavailable', message)
}

/**
 * Why a call failed, on one line: an error's name, code and message, and its cause's (a stack says nothing more of
 * a refused connection, and a service down for a minute would print one for every call); an answer's body as JSON
 * (none when it was not JSON).
 */
function oneLine(why: unknown): string {
  const text = whyText(why).replaceAll(/\s*\n\s*/g, ' ')
  return text.length > 500 ? `${text.slice(0, 500)}…` : text
}

function whyText(why: unknown): string {
  if (why instanceof Error) {
    const code = (why as { code?: unknown }).code
    const own = `${why.name}${code === undefined ? '' : ` ${code}`}: ${why.message}`
    return why.cause === undefined ? own : `${own}; cause: ${whyText(why.cause)}`
  }
  return typeof why === 'string' ? why : (JSON.stringify(why) ?? String(why))
}
