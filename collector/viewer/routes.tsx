import { Hono } from 'hono'
import { toAppError } from '../../shared/errors.ts'
import { findTraceIds, listOperations, listServices, type TraceQuery } from '../query.ts'
import type { CollectorDb } from '../store.ts'
import { toTraceQuery } from '../trace-query.ts'
import { serviceColors } from './colors.ts'
import { ErrorPage } from './error-page.tsx'
import { MapPage } from './map-page.tsx'
import { SearchPage } from './search-page.tsx'
import { readSearchForm, type SortOrder, toSearchParams } from './search-params.ts'
import { serviceMap } from './service-map.ts'
import { KINDS, serviceStats } from './service-stats.ts'
import { ServicesPage } from './services-page.tsx'
import { TracePage } from './trace-page.tsx'
import { summarizeTraces, type TraceSummary } from './trace-summaries.ts'
import { loadTraceView, requireTraceId } from './trace-view.ts'
import { renderRows } from './waterfall.tsx'
import { readChoice, readWindow } from './window.ts'

/**
 * The web viewer: server-rendered pages (no build step), deep links by trace id at `/trace/:traceId` and to a span
 * with `?span=`. Errors are pages here, with the API's statuses (a bad duration is a 400, an unknown trace a 404).
 */
export function viewer(db: CollectorDb) {
  return new Hono()
    .onError((error, c) => {
      const appError = toAppError(error)
      if (appError.status >= 500) console.error('collector viewer:', error)
      return c.html(<ErrorPage status={appError.status} message={appError.message} />, appError.status)
    })
    .get('/', async (c) => {
      const form = readSearchForm((name) => c.req.query(name))
      const [services, operations] = await Promise.all([
        listServices(db),
        form.service ? listOperations(db, form.service) : [],
      ])
      const page = (traces: TraceSummary[], error?: string) => (
        <SearchPage
          form={form}
          services={services}
          operations={[...new Set(operations.map((operation) => operation.name))]}
          traces={traces}
          error={error}
        />
      )
      let query: TraceQuery
      try {
        query = toTraceQuery(toSearchParams(form))
      } catch (error) {
        // A value the search cannot take: the form again, filled in as it was, with what is wrong.
        const appError = toAppError(error)
        if (appError.status !== 400) throw error
        return c.html(page([], appError.message), 400)
      }
      const traces = await summarizeTraces(db, await findTraceIds(db, query))
      return c.html(page(sortTraces(traces, form.sort)))
    })
    .get('/services', async (c) => {
      const { name, window } = readWindow(c.req.query('window'))
      const [kind] = readChoice('kind', c.req.query('kind'), KINDS, 'server')
      const stats = await serviceStats(db, window, kind)
      const colors = serviceColors(await listServices(db))
      const seconds = (window.end - window.start) / 1_000_000
      return c.html(<ServicesPage stats={stats} windowName={name} seconds={seconds} kind={kind} colors={colors} />)
    })
    .get('/map', async (c) => {
      const { name, window } = readWindow(c.req.query('window'))
      const { nodes, edges } = await serviceMap(db, window)
      const colors = serviceColors(await listServices(db))
      const seconds = (window.end - window.start) / 1_000_000
      return c.html(<MapPage nodes={nodes} edges={edges} windowName={name} seconds={seconds} colors={colors} />)
    })
    .get('/trace', (c) => {
      const id = (c.req.query('id') ?? '').trim()
      return c.redirect(id ? `/trace/${encodeURIComponent(id)}` : '/')
    })
    .get('/trace/:traceId', async (c) => {
      const traceId = requireTraceId(c.req.param('traceId'))
      const view = await loadTraceView(db, traceId, {
        page: c.req.query('page'),
        span: c.req.query('span'),
        find: c.req.query('find'),
      })
      return c.html(<TracePage view={view} rows={await renderRows(view)} />)
    })
}

function sortTraces(traces: TraceSummary[], order: SortOrder): TraceSummary[] {
  if (order === 'longest') return traces.sort((a, b) => b.duration - a.duration)
  if (order === 'shortest') return traces.sort((a, b) => a.duration - b.duration)
  if (order === 'spans') return traces.sort((a, b) => b.spans - a.spans)
  return traces.sort((a, b) => b.start - a.start)
}
