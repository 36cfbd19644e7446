import { isSpanContextValid, trace } from '@opentelemetry/api'
import type { Context, ErrorHandler, NotFoundHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

export type ErrorCode =
  | 'invalid_request'
  | 'not_found'
  | 'order_not_found'
  | 'unknown_item'
  | 'insufficient_inventory'
  | 'reservation_closed'
  | 'payment_voided'
  | 'request_in_progress'
  | 'idempotency_key_reused'
  | 'unauthorized'
  | 'user_not_allowed'
  | 'payment_declined'
  | 'payment_timeout'
  | 'upstream_unavailable'
  | 'upstream_timeout'
  | 'internal_error'

/** An error a caller can act on: it becomes `{ error: { code, message, details }, traceId }` with its status. */
export class AppError extends Error {
  override readonly name = 'AppError'

  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message)
  }
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> }
  traceId: string
}

/** `traceId` is empty when the request has no trace (untraced, or tracing disabled and none came in): never zeros. */
export function errorBody(error: AppError): ErrorBody {
  const spanContext = trace.getActiveSpan()?.spanContext()
  return {
    error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) },
    traceId: spanContext && isSpanContextValid(spanContext) ? spanContext.traceId : '',
  }
}

export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error
  if (error instanceof HTTPException && error.status < 500) {
    return new AppError(error.status as ContentfulStatusCode, 'invalid_request', error.message)
  }
  return new AppError(500, 'internal_error', 'internal error')
}

/**
 * `app.onError`: every error leaves as JSON. One the service did not mean (a 500) is also logged with its stack, as
 * Hono's own handler does: the caller sees only `internal error`, and the span may go to no collector.
 */
export const jsonErrorHandler: ErrorHandler = (error, c) => {
  const appError = toAppError(error)
  // As text: Bun prints an Error given apart with a frame of source code first, before its message.
  if (appError.status >= 500 && appError.code === 'internal_error')
    console.error(`${c.req.method} ${c.req.path} failed: ${error instanceof Error ? error.stack : String(error)}`)
  return c.json(errorBody(appError), appError.status)
}

/** `app.notFound`: unknown routes answer JSON too. */
export const jsonNotFound: NotFoundHandler = (c: Context) =>
  c.json(errorBody(new AppError(404, 'not_found', `no route for ${c.req.method} ${c.req.path}`)), 404)
