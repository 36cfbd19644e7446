import type { Tracer } from '@opentelemetry/api'
import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { AppError, jsonErrorHandler, jsonNotFound } from './errors.ts'
import { httpTracing } from './telemetry/middleware.ts'

export const MAX_BODY_BYTES = 64 * 1024

/** What every service app starts with: a SERVER span per request, JSON errors, a body cap and `GET /healthz`. */
export function serviceApp(tracer: Tracer) {
  const app = new Hono()
  app.use(httpTracing({ tracer }))
  app.use(
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new AppError(400, 'invalid_request', `body over ${MAX_BODY_BYTES / 1024} KiB`)
      },
    }),
  )
  app.onError(jsonErrorHandler)
  app.notFound(jsonNotFound)
  app.get('/healthz', (c) => c.json({ status: 'ok' }))
  return app
}
