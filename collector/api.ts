import { Hono } from 'hono'
import { AppError } from '../shared/errors.ts'
import { validate } from '../shared/validation.ts'
import { apiV3 } from './api-v3.ts'
import { findDependencies } from './dependencies.ts'
import { SPAN_KINDS } from './jaeger.ts'
import { jaegerEnvelope, jaegerErrorHandler, jaegerTracesJson } from './jaeger-envelope.ts'
import { jsonStream, started } from './json-stream.ts'
import { findTraceIds, listOperations, listServices, traceSlices } from './query.ts'
import type { CollectorDb } from './store.ts'
import { parseTraceId } from './trace-id.ts'
import { nonNegativeInteger, toTraceQuery, traceIdsOf, traceSearchParams, validBool } from './trace-query.ts'

const DEFAULT_DEPENDENCY_LOOKBACK_MS = 24 * 3_600_000

/**
 * The query API in the Jaeger v1 shape (what Jaeger UI and Grafana's Jaeger data source read), mounted at `/api`,
 * with api_v3 at `/api/v3`. Every answer, errors included, is Jaeger's envelope, with Jaeger's status codes.
 */
export function queryApi(db: CollectorDb) {
  const app = new Hono()
  app.onError(jaegerErrorHandler)
  return app
    .get('/services', async (c) => {
      const services = await listServices(db)
      return c.json(jaegerEnvelope(services, { total: services.length }))
    })
    .get('/services/:service/operations', async (c) => {
      const names = [...new Set((await listOperations(db, c.req.param('service'))).map((operation) => operation.name))]
      return c.json(jaegerEnvelope(names, { total: names.length }))
    })
    .get('/operations', async (c) => {
      const service = c.req.query('service')
      if (!service) throw new AppError(400, 'invalid_request', "parameter 'service' is required")
      const spanKind = c.req.query('spanKind')
      // An operation of no kind has the empty kind, as in Jaeger.
      const operations = (await listOperations(db, service))
        .map((operation) => ({ name: operation.name, spanKind: SPAN_KINDS[operation.kind] ?? '' }))
        .filter((operation) => !spanKind || operation.spanKind === spanKind)
      return c.json(jaegerEnvelope(operations, { total: operations.length }))
    })
    .get('/traces', validate('query', traceSearchParams), async (c) => {
      const params = c.req.valid('query')
      // Every parameter is checked, as in Jaeger, even when `traceID` makes the others moot.
      const query = toTraceQuery(params)
      const traceIds = traceIdsOf(params)
      // The first slice is read before the answer begins: a database that fails is still a 500 in the envelope.
      const asked = traceIds.length > 0 ? traceIds : await findTraceIds(db, query)
      const slices = (await started(traceSlices(db, asked))) ?? []
      return jsonStream(jaegerTracesJson(slices, traceIds))
    })
    .get('/traces/:traceId', async (c) => {
      const raw = c.req.param('traceId')
      const traceId = parseTraceId(raw)
      if (!traceId) throw new AppError(400, 'invalid_request', `not a trace id: ${raw}`)
      // Checked as Jaeger checks them, then not needed: ids are unique (and Grafana sends milliseconds here).
      nonNegativeInteger('start', c.req.query('start'))
      nonNegativeInteger('end', c.req.query('end'))
      validBool('raw', c.req.query('raw'))
      const slices = await started(traceSlices(db, [traceId]))
      if (!slices) throw new AppError(404, 'not_found', `trace ${traceId} not found`)
      return jsonStream(jaegerTracesJson(slices))
    })
    .get('/dependencies', async (c) => {
      // Milliseconds here, as in Jaeger: the end (default now) and how far back from it (default a day).
      const endMs = nonNegativeInteger('endTs', c.req.query('endTs')) ?? Date.now()
      const lookbackMs = nonNegativeInteger('lookback', c.req.query('lookback')) ?? DEFAULT_DEPENDENCY_LOOKBACK_MS
      const window = { start: Math.max(0, endMs - lookbackMs) * 1000, end: endMs * 1000 }
      if (!Number.isSafeInteger(window.end)) throw new AppError(400, 'invalid_request', 'endTs: too far in the future')
      const service = c.req.query('service')
      const links = (await findDependencies(db, window)).filter(
        (link) => !service || link.parent === service || link.child === service,
      )
      return c.json(jaegerEnvelope(links))
    })
    .route('/v3', apiV3(db))
    .all('*', (c) => {
      throw new AppError(404, 'not_found', `no route for ${c.req.method} ${c.req.path}`)
    })
}
