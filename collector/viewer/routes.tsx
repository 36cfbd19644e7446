import { Hono } from 'hono'
import { AppError } from '../../shared/errors.ts'
import { toJaegerTrace } from '../jaeger.ts'
import { parseId } from '../otlp/ids.ts'
import { findTraceIds, getTraces, listServices } from '../query.ts'
import type { CollectorDb } from '../store.ts'
import { DEFAULT_LIMIT, toTraceQuery } from '../trace-query.ts'
import { SearchPage } from './search-page.tsx'
import { TracePage } from './trace-page.tsx'

/** The web viewer: server-rendered pages (no build step), deep links by trace id at `/trace/:traceId`. */
export function viewer(db: CollectorDb) {
  return new Hono()
    .get('/', async (c) => {
      const form = {
        service: c.req.query('service') ?? '',
        operation: c.req.query('operation') ?? '',
        minDuration: c.req.query('minDuration') ?? '',
        errors: c.req.query('errors') === 'on',
        limit: c.req.query('limit') ?? String(DEFAULT_LIMIT),
      }
      const query = toTraceQuery({ ...form, tags: form.errors ? 'error:true' : undefined })
      const traces = await getTraces(db, await findTraceIds(db, query))
      return c.html(<SearchPage form={form} services={await listServices(db)} traces={traces.map(toJaegerTrace)} />)
    })
    .get('/trace', (c) => c.redirect(`/trace/${encodeURIComponent((c.req.query('id') ?? '').trim())}`))
    .get('/trace/:traceId', async (c) => {
      const traceId = parseId(c.req.param('traceId'), 16)
      const [trace] = traceId ? await getTraces(db, [traceId]) : []
      if (!trace) throw new AppError(404, 'not_found', `trace ${c.req.param('traceId')} not found`)
      return c.html(<TracePage trace={toJaegerTrace(trace)} />)
    })
}
