import { createClient } from '@libsql/client'
import type { Tracer } from '@opentelemetry/api'
import { type Upstream, upstreamFetch } from '../shared/client.ts'
import { databaseAuthToken, databaseUrl, type ServiceName, serviceToken, serviceUrl } from '../shared/config.ts'
import { AppError, errorBody } from '../shared/errors.ts'
import type { ServiceDefinition } from '../shared/service.ts'
import type { Env } from '../shared/telemetry/config.ts'
import { tracedDatabase } from '../shared/telemetry/db.ts'
import { createTelemetry } from '../shared/telemetry/provider.ts'
import { retryWhenBusy } from './remote-client.ts'

/** The parts of the Workers runtime this adapter uses (the project has no `@cloudflare/workers-types`). */
interface ServiceBinding {
  fetch(request: Request): Promise<Response>
}
interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void
}
/** A Worker's env: string vars and secrets, and bindings such as `INVENTORY`. */
type Bindings = Record<string, unknown>

/**
 * `export default workerFor(service)`: the Worker's module. The service and its telemetry are built once per
 * isolate, from the first event's env (a Worker has no env before that). The processor sets no timer of its own,
 * since a timer set by one request does not run once that request is done: each request keeps itself alive through
 * `ctx.waitUntil` until its spans have left, within OTEL_BSP_SCHEDULE_DELAY, together with those of the requests that
 * end meanwhile. A service's background tasks run on the Worker's cron trigger.
 */
export function workerFor(service: ServiceDefinition) {
  let started: ReturnType<typeof start> | undefined
  return {
    async fetch(request: Request, bindings: Bindings, ctx: ExecutionContext): Promise<Response> {
      try {
        started ??= start(service, bindings)
      } catch (error) {
        // A configuration the service cannot start with (a file: database URL; telemetry settings only warn): say
        // so, as JSON like every other error, and try again on the next request.
        console.error(`${service.name} cannot start:`, error)
        const message = `${service.name} cannot start: ${error instanceof Error ? error.message : String(error)}`
        return Response.json(errorBody(new AppError(503, 'upstream_unavailable', message)), { status: 503 })
      }
      const { instance, telemetry } = started
      // workerd cancels a request's work when its caller goes away; an order must still reach its end (a client that
      // disconnects does not stop its order), so the handling is kept alive, then the spans are flushed.
      const handling = Promise.resolve(instance.fetch(request))
      ctx.waitUntil(handling.then(settled, settled).then(() => telemetry.flushSoon()))
      return handling
    },
    async scheduled(_controller: unknown, bindings: Bindings, ctx: ExecutionContext): Promise<void> {
      started ??= start(service, bindings)
      try {
        await Promise.all((started.instance.tasks ?? []).map((task) => task.run()))
      } finally {
        ctx.waitUntil(started.telemetry.flush())
      }
    },
  }
}

const settled = () => undefined

function start(service: ServiceDefinition, bindings: Bindings) {
  const env: Env = Object.fromEntries(Object.entries(bindings).filter(([, value]) => typeof value === 'string')) as Env
  const telemetry = createTelemetry({
    env,
    serviceName: service.name,
    resource: { 'process.runtime.name': 'workerd' },
    batch: { scheduledDelayMillis: 0 },
  })
  const instance = service.create({
    env,
    telemetry,
    database: service.migrations ? openDatabase(service.name, env, telemetry.tracer) : undefined,
    upstream: (name) => upstream(name, bindings, env, telemetry.tracer),
  })
  return { instance, telemetry }
}

/**
 * libSQL over HTTP (`@libsql/client` resolves to its web build under workerd). Migrations are a deploy step. The
 * client's concurrency limit is lifted (0 means its default, 20): past it, a statement waits in a queue that another
 * request's statement releases, and workerd cancels a request that waits on another request's I/O ("the Worker's
 * code had hung"). Each statement is its own HTTP request, so nothing else is shared between requests. A write that
 * finds the write lock held is sent again (`retryWhenBusy`).
 */
function openDatabase(name: ServiceName, env: Env, tracer: Tracer) {
  const url = databaseUrl(env, name)
  if (url.startsWith('file:'))
    throw new Error(`${name.toUpperCase()}_DB_URL must be a libsql:, https: or http: URL on Workers`)
  const client = createClient({ url, authToken: databaseAuthToken(env, name), concurrency: Number.MAX_SAFE_INTEGER })
  return retryWhenBusy(tracedDatabase(tracer, client, url))
}

/**
 * Another service through its service binding (`ORDER`, `INVENTORY`, `PAYMENT`), or over HTTP when `*_URL` is set:
 * that is how a Worker reaches a service running on another runtime.
 */
function upstream(name: ServiceName, bindings: Bindings, env: Env, tracer: Tracer): Upstream {
  const binding = bindings[name.toUpperCase()] as ServiceBinding | undefined
  if (binding && !env[`${name.toUpperCase()}_URL`]) {
    return {
      baseUrl: `http://${name}.internal`,
      fetch: upstreamFetch(tracer, (input, init) => binding.fetch(new Request(input, init)), serviceToken(env)),
    }
  }
  return { baseUrl: serviceUrl(env, name), fetch: upstreamFetch(tracer, fetch, serviceToken(env)) }
}
