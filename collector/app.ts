import { Hono } from 'hono'
import { cors } from 'hono/cors'
import { jsonErrorHandler, jsonNotFound } from '../shared/errors.ts'
import { queryApi } from './api.ts'
import { otlpReceiver } from './receiver.ts'
import type { CollectorSettings } from './settings.ts'
import type { CollectorDb } from './store.ts'
import { viewer } from './viewer/routes.tsx'
import { createSpanWriter } from './writer.ts'

/**
 * The trace collector: OTLP/HTTP receiver, Jaeger-shaped query API and web viewer on one port. Unlike the
 * services it is not traced (its spans would be sent to itself) and has its own body cap (OTLP's 64 MiB).
 */
export function createCollectorApp({ db, settings }: { db: CollectorDb; settings: CollectorSettings }) {
  const app = new Hono()
  app.onError(jsonErrorHandler)
  app.notFound(jsonNotFound)
  return app
    .get('/healthz', (c) => c.json({ status: 'ok' }))
    .use('/v1/traces', cors({ origin: '*', allowHeaders: ['content-type', 'content-encoding'] }))
    .post('/v1/traces', otlpReceiver({ write: createSpanWriter(db, settings), maxBodyBytes: settings.maxBodyBytes }))
    .route('/api', queryApi(db))
    .route('/', viewer(db))
}

export type CollectorApp = ReturnType<typeof createCollectorApp>
