import { context, createContextKey } from '@opentelemetry/api'
import { createMiddleware } from 'hono/factory'
import { AppError } from './errors.ts'
import { type Fetch, outgoingHeaders } from './telemetry/fetch.ts'

/** The milliseconds a request has left, sent on every downstream call (as gRPC's `grpc-timeout`). */
export const BUDGET_HEADER = 'x-request-timeout-ms'

/** A callee gives up this much before its caller does, so the caller hears its answer rather than a timeout. */
const MARGIN_MS = 50

const DEADLINE = createContextKey('request deadline (epoch ms)')

/**
 * Gives each request a deadline: `defaultMs`, or, with `fromCaller` (internal services, whose callers present the
 * services' credential), the shorter budget the caller sent. The public gateway never takes a deadline from outside.
 * Downstream calls through `deadlineFetch` get only the time left.
 */
export const requestDeadline = (defaultMs: number, { fromCaller = true } = {}) =>
  createMiddleware(async function requestDeadline(c, next) {
    const sent = fromCaller ? Number(c.req.header(BUDGET_HEADER)) : Number.NaN
    const budget = Number.isFinite(sent) && sent > 0 ? Math.min(sent - MARGIN_MS, defaultMs) : defaultMs
    await context.with(context.active().setValue(DEADLINE, Date.now() + Math.max(budget, 0)), next)
  })

/** Milliseconds left before the active request's deadline, or undefined outside a request. */
export function timeLeft(): number | undefined {
  const deadline = context.active().getValue(DEADLINE) as number | undefined
  return deadline === undefined ? undefined : deadline - Date.now()
}

/**
 * Runs `work` under a deadline of its own, `ms` from now, whatever is left of the request's: settling an order
 * (completing or compensating it) must finish even when the request ran out of time, yet never hang on a service
 * that does not answer.
 */
export function withOwnDeadline<T>(ms: number, work: () => T): T {
  return context.with(context.active().setValue(DEADLINE, Date.now() + ms), work)
}

/**
 * Runs `work` with `ms` less of the request's deadline (none outside a request), keeping that time for what must
 * follow it: an order whose payment times out still has time to void it, release its stock and answer.
 */
export function withReserve<T>(ms: number, work: () => T): T {
  const deadline = context.active().getValue(DEADLINE) as number | undefined
  if (deadline === undefined) return work()
  return context.with(context.active().setValue(DEADLINE, deadline - ms), work)
}

/**
 * Aborts a call when the request's deadline passes and tells the callee how long it has. The header goes on the
 * call's shared copy of the headers and the signal into `init`: no Request of its own (see `outgoingHeaders`).
 */
export function deadlineFetch(base: Fetch): Fetch {
  return async function deadlineFetch(input, init) {
    const left = timeLeft()
    if (left === undefined) return base(input, init)
    if (left <= 0) throw new DOMException('the request deadline has passed', 'TimeoutError')
    const headers = outgoingHeaders(input, init)
    headers.set(BUDGET_HEADER, String(Math.floor(left)))
    const given = init?.signal ?? (input instanceof Request ? input.signal : undefined)
    return base(input, { ...init, headers, signal: abortingAfter(left, given) })
  }
}

/** `signal`, made to abort also when the active request's deadline passes (a TimeoutError). */
export function withDeadline(signal: AbortSignal): AbortSignal {
  const left = timeLeft()
  return left === undefined ? signal : abortingAfter(left, signal)
}

/** A signal that aborts once `ms` have passed (a TimeoutError), or when `signal` does, if there is one. */
function abortingAfter(ms: number, signal: AbortSignal | undefined): AbortSignal {
  const timeout = AbortSignal.timeout(Math.max(ms, 0))
  return signal ? AbortSignal.any([signal, timeout]) : timeout
}

/** Refuses to start a change the caller has already given up on (it would outlive the caller's compensation). */
export function assertTimeLeft(): void {
  const left = timeLeft()
  if (left !== undefined && left <= 0)
    throw new AppError(504, 'upstream_timeout', "the request's deadline passed before the change was made")
}
