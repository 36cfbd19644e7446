import type { ErrorHandler } from 'hono'
import { toAppError } from '../shared/errors.ts'
import { JaegerProcesses, toJaegerSpan } from './jaeger.ts'
import type { SpanRecord } from './model.ts'

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

/**
 * The envelope of `slices` (`traceSlices`) as Jaeger's traces, written a slice at a time for `jsonStream`: each trace
 * with its spans, then its processes. With `asked`, each of those ids that had no span is an error entry at the end,
 * as Jaeger answers a search by several `traceID`.
 */
export async function* jaegerTracesJson(
  slices: AsyncIterable<SpanRecord[]> | Iterable<SpanRecord[]>,
  asked: string[] = [],
) {
  yield '{"data":['
  let trace: { traceID: string; processes: JaegerProcesses } | undefined
  const found = new Set<string>()
  for await (const slice of slices) {
    const traceID = slice[0]!.traceId
    let opening = ','
    if (trace?.traceID !== traceID) {
      opening = `${trace ? `${endTrace(trace)},` : ''}{"traceID":${JSON.stringify(traceID)},"spans":[`
      trace = { traceID, processes: new JaegerProcesses() }
      found.add(traceID)
    }
    const { processes } = trace
    yield opening + JSON.stringify(slice.map((record) => toJaegerSpan(record, processes))).slice(1, -1)
  }
  if (trace) yield endTrace(trace)
  const errors = [...new Set(asked)]
    .filter((traceID) => !found.has(traceID))
    .map((traceID): JaegerError => ({ msg: 'trace not found', traceID }))
  // The rest of the envelope, as `jaegerEnvelope` has it.
  const { data: _, ...rest } = jaegerEnvelope(null, { errors })
  yield `],${JSON.stringify(rest).slice(1)}`
}

const endTrace = (trace: { processes: JaegerProcesses }) =>
  `],"processes":${JSON.stringify(trace.processes.byId)},"warnings":null}`

/** `onError` of `/api`: Jaeger UI shows `errors[].msg`, Grafana reads the status. */
export const jaegerErrorHandler: ErrorHandler = (error, c) => {
  const { status, message } = toAppError(error)
  if (status >= 500) console.error('collector: query failed', error)
  return c.json(jaegerEnvelope(null, { errors: [{ code: status, msg: message }] }), status)
}
