import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { numberSetting, serviceToken } from './config.ts'
import { requireCredential } from './credential.ts'
import { requestDeadline } from './deadline.ts'
import { AppError, jsonErrorHandler, jsonNotFound } from './errors.ts'
import type { Env } from './telemetry/config.ts'
import { httpTracing } from './telemetry/middleware.ts'
import type { Telemetry } from './telemetry/provider.ts'

export const MAX_BODY_BYTES = 64 * 1024

/** What every app factory receives besides its own dependencies. */
export interface AppBase {
  telemetry: Telemetry
  env: Env
}

/**
 * `public`: the gateway, the one door open to anyone; it sets every request's deadline itself. `internal`: reachable
 * only with the services' credential, and it takes the deadline its caller sends.
 */
export type Access = 'public' | 'internal'

/**
 * What every service app starts with: a SERVER span per request, the credential check of an internal service, a
 * deadline (`REQUEST_DEADLINE_MS`, default 5 s) that travels to downstream calls, JSON errors, a body cap, and `GET /healthz` with the exporter's counters.
 */
export function serviceApp({ telemetry, env }: AppBase, access: Access) {
  const app = new Hono()
  app.use(httpTracing({ tracer: telemetry.tracer }))
  if (access === 'internal') app.use(requireCredential(serviceToken(env)))
  app.use(requestDeadline(numberSetting(env, 'REQUEST_DEADLINE_MS', 5000), { fromCaller: access === 'internal' }))
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
  app.get('/healthz', (c) => c.json({ status: 'ok', telemetry: telemetry.stats() }))
  return app
}
