import { Hono } from 'hono'
import { z } from 'zod'
import { AppError } from '../shared/errors.ts'
import { validate } from '../shared/validation.ts'
import { SPAN_KINDS, toJaegerTrace } from './jaeger.ts'
import { parseId } from './otlp/ids.ts'
import { findTraceIds, getTraces, listOperations, listServices } from './query.ts'
import type { CollectorDb } from './store.ts'
import { toTraceQuery, traceSearchParams } from './trace-query.ts'

/** Jaeger's list envelope. */
const list = <T>(data: T[]) => ({ data, total: data.length, limit: 0, offset: 0, errors: null })

/** The query API in the Jaeger v1 shape, mounted at `/api`. */
export function queryApi(db: CollectorDb) {
  return new Hono()
    .get('/services', async (c) => c.json(list(await listServices(db))))
    .get('/services/:service/operations', async (c) => {
      const names = (await listOperations(db, c.req.param('service'))).map((operation) => operation.name)
      return c.json(list([...new Set(names)]))
    })
    .get(
      '/operations',
      validate('query', z.object({ service: z.string().min(1), spanKind: z.string().optional() })),
      async (c) => {
        const { service, spanKind } = c.req.valid('query')
        const operations = (await listOperations(db, service))
          .map((operation) => ({ name: operation.name, spanKind: SPAN_KINDS[operation.kind] || 'unspecified' }))
          .filter((operation) => !spanKind || operation.spanKind === spanKind)
        return c.json(list(operations))
      },
    )
    .get('/traces', validate('query', traceSearchParams), async (c) => {
      const traceIds = await findTraceIds(db, toTraceQuery(c.req.valid('query')))
      return c.json(list((await getTraces(db, traceIds)).map(toJaegerTrace)))
    })
    .get('/traces/:traceId', async (c) => {
      // Jaeger accepts 64-bit ids too; those are the low half of a 128-bit id.
      const raw = c.req.param('traceId')
      const traceId = parseId(raw.length <= 16 ? raw.padStart(32, '0') : raw, 16)
      if (!traceId) throw new AppError(400, 'invalid_request', `not a trace id: ${raw}`)
      const [trace] = await getTraces(db, [traceId])
      if (!trace) throw new AppError(404, 'not_found', `trace ${traceId} not found`)
      return c.json(list([toJaegerTrace(trace)]))
    })
}
