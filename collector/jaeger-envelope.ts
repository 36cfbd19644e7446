import type { ErrorHandler } from 'hono'
import { toAppError } from '../shared/errors.ts'

/** An entry of Jaeger's `errors`: `code` is the HTTP status, absent for a trace of a multi-id search not found. */
export interface JaegerError {
  code?: number
  msg: string
  traceID?: string
}

/** Every answer of Jaeger's v1 query API, errors included: `{ data, total, limit, offset, errors }`. */
export interface JaegerEnvelope<T> {
  data: T
  total: number
  limit: number
  offset: number
  errors: JaegerError[] | null
}

/** Jaeger sets `total` on lists of services and operations only; `errors` is null when there are none. */
export function jaegerEnvelope<T>(data: T, { total = 0, errors = [] as JaegerError[] } = {}): JaegerEnvelope<T> {
  return { data, total, limit: 0, offset: 0, errors: errors.length ? errors : null }
}

/** `onError` of `/api`: Jaeger UI shows `errors[].msg`, Grafana reads the status. */
export const jaegerErrorHandler: ErrorHandler = (error, c) => {
  const { status, message } = toAppError(error)
  if (status >= 500) console.error('collector: query failed', error)
  return c.json(jaegerEnvelope(null, { errors: [{ code: status, msg: message }] }), status)
}
