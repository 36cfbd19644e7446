import { type Context, Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { AppError } from '../shared/errors.ts'
import { bodyText, parseJson } from '../shared/validation.ts'
import { microsOf, named, type Params, rfc3339Nanos, toV3TraceQuery } from './api-v3-query.ts'
import { findDependencies } from './dependencies.ts'
import { grpcGatewayErrorHandler } from './grpc-gateway-error.ts'
import { SPAN_KINDS } from './jaeger.ts'
import { jsonStream, started } from './json-stream.ts'
import { findTraceIds, listOperations, listServices, traceOutlines, traceSlices } from './query.ts'
import type { CollectorDb } from './store.ts'
import { parseTraceId } from './trace-id.ts'
import { validBool } from './trace-query.ts'
import { summarizeTrace } from './trace-summary.ts'
import { tracesDataJson } from './traces-data.ts'

/**
 * Jaeger's api_v3 over HTTP (jaeger-idl `proto/api_v3/query_service.proto`), mounted at `/api/v3`: traces as OTLP
 * JSON under `result` (grpc-gateway's wrapper of a streamed answer), everything else as proto3 JSON, errors as
 * `GRPCGatewayError`. Jaeger UI 2.15+ lists services and operations here, 2.19+ searches through trace-summaries;
 * Grafana's Jaeger data source searches and loads traces here.
 */
export function apiV3(db: CollectorDb) {
  const app = new Hono()
  app.onError(grpcGatewayErrorHandler)
  // A FindTracesRequest is a few hundred bytes: a bigger body is refused before it is read and parsed whole.
  app.use(
    bodyLimit({
      maxSize: MAX_QUERY_BODY_BYTES,
      onError: () => {
        throw new AppError(400, 'invalid_request', `the body is over ${MAX_QUERY_BODY_BYTES / 1024} KiB`)
      },
    }),
  )
  const findTraces = async (params: Params) => {
    const slices = await started(traceSlices(db, await findTraceIds(db, toV3TraceQuery(params))))
    // Jaeger answers an empty search as it answers an unknown trace.
    if (!slices) throw new AppError(404, 'not_found', 'No traces found')
    return jsonStream(tracesDataJson(slices))
  }
  const findSummaries = async (params: Params) => {
    const summaries = []
    // Each trace summarized as soon as its spans are read: only one trace's outlines are held at a time.
    for await (const trace of traceOutlines(db, await findTraceIds(db, toV3TraceQuery(params))))
      summaries.push(summarizeTrace(trace))
    return { summaries }
  }
  return app
    .get('/services', async (c) => c.json({ services: await listServices(db) }))
    .get('/operations', async (c) => {
      const service = c.req.query('service') ?? ''
      const spanKind = named(queryParams(c), 'spanKind').value
      // As Jaeger: no service lists nothing, and an operation of no kind is listed as internal.
      const operations = (service ? await listOperations(db, service) : [])
        .map((operation) => ({ name: operation.name, spanKind: SPAN_KINDS[operation.kind] ?? '' }))
        .filter((operation) => !spanKind || operation.spanKind === spanKind)
        .map((operation) => ({ ...operation, spanKind: operation.spanKind || 'internal' }))
      return c.json({ operations })
    })
    .get('/traces/:traceId', async (c) => {
      const raw = c.req.param('traceId')
      const traceId = parseTraceId(raw)
      if (!traceId)
        throw new AppError(400, 'invalid_request', `malformed parameter trace_id: not a hex or base64 trace id: ${raw}`)
      // The window and rawTraces are checked as Jaeger checks them, then not needed: ids are unique, spans never adjusted.
      const params = queryParams(c)
      for (const canonical of ['startTime', 'endTime']) {
        const { value, name } = named(params, canonical)
        if (value) rfc3339Nanos(name, value)
      }
      const rawTraces = named(params, 'rawTraces')
      validBool(rawTraces.name, rawTraces.value)
      const slices = await started(traceSlices(db, [traceId]))
      if (!slices) throw new AppError(404, 'not_found', `trace ${traceId} not found`)
      return jsonStream(tracesDataJson(slices))
    })
    .get('/traces', async (c) => findTraces(queryParams(c)))
    .post('/traces', async (c) => findTraces(await bodyParams(c)))
    .get('/trace-summaries', async (c) => c.json(await findSummaries(queryParams(c))))
    .post('/trace-summaries', async (c) => c.json(await findSummaries(await bodyParams(c))))
    .get('/dependencies', async (c) => {
      const params = queryParams(c)
      const start = named(params, 'startTime')
      const end = named(params, 'endTime')
      if (!start.value || !end.value) throw new AppError(400, 'invalid_request', 'startTime and endTime are required')
      const window = {
        start: microsOf(rfc3339Nanos(start.name, start.value)),
        end: microsOf(rfc3339Nanos(end.name, end.value)),
      }
      const links = await findDependencies(db, window)
      // callCount is a uint64: a decimal string in proto3 JSON.
      return c.json({ dependencies: links.map((link) => ({ ...link, callCount: String(link.callCount) })) })
    })
    .all('*', (c) => {
      throw new AppError(404, 'not_found', `no route for ${c.req.method} ${c.req.path}`)
    })
}

const queryParams =
  (c: Context): Params =>
  (name) =>
    c.req.query(name)

/**
 * A POST body (`{"query": {...}}`, FindTracesRequest) read as the query string would be: `query.<field>` is the
 * field, in its camelCase or snake_case name; `attributes`, an object here, becomes the JSON text the query carries.
 */
async function bodyParams(c: Context): Promise<Params> {
  const body = parseJson(await bodyText(c))
  const query = isObject(body) && isObject(body.query) ? body.query : {}
  return (name) => {
    const value = name.startsWith('query.') ? query[name.slice('query.'.length)] : undefined
    if (value === undefined || value === null) return undefined
    if (typeof value !== 'object') return String(value)
    // JSON.parse takes any depth; JSON.stringify of a value 100,000 deep ran 2 s before it ran out of stack.
    if (deeperThan(value, MAX_BODY_DEPTH))
      throw new AppError(400, 'invalid_request', `malformed parameter ${name}: nested too deep`)
    return JSON.stringify(value)
  }
}

const MAX_QUERY_BODY_BYTES = 64 * 1024

/** How deep a query field's value may nest: `attributes` is one level, a structured filter a few. */
const MAX_BODY_DEPTH = 32

/** Whether `value` nests arrays or objects more than `levels` deep; it looks no deeper than that. */
function deeperThan(value: unknown, levels: number): boolean {
  if (typeof value !== 'object' || value === null) return false
  if (levels === 0) return true
  return Object.values(value).some((inner) => deeperThan(inner, levels - 1))
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
