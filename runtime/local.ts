import { setInterval, setTimeout } from 'node:timers'
import { upstreamFetch } from '../shared/client.ts'
import {
  databaseAuthToken,
  databaseUrl,
  type ServiceName,
  serviceHost,
  servicePort,
  serviceToken,
  serviceUrl,
} from '../shared/config.ts'
import type { BackgroundTask, ServiceDefinition } from '../shared/service.ts'
import type { Env } from '../shared/telemetry/config.ts'
import { tracedDatabase } from '../shared/telemetry/db.ts'
import { createTelemetry, type Telemetry } from '../shared/telemetry/provider.ts'
import { retryWhenBusy } from './remote-client.ts'

/**
 * Starts a service on a runtime with a file system (Bun, Deno): opens its libSQL database, applies its drizzle
 * migrations, and reaches the other services over HTTP at their `*_URL`.
 */
export async function startLocal(service: ServiceDefinition, env: Env, runtime: Record<string, string>) {
  const telemetry = createTelemetry({ env, serviceName: service.name, resource: runtime })
  const database = service.migrations ? await openServiceDatabase(service.name, service.migrations, env) : undefined
  const instance = service.create({
    env,
    telemetry,
    database: database && retryWhenBusy(tracedDatabase(telemetry.tracer, database, databaseUrl(env, service.name))),
    upstream: (name) => ({
      baseUrl: serviceUrl(env, name),
      fetch: upstreamFetch(telemetry.tracer, fetch, serviceToken(env)),
    }),
    crash: () => process.kill(process.pid, 'SIGKILL'),
  })
  for (const task of instance.tasks ?? []) repeat(task)
  return { instance, telemetry, port: servicePort(env, service.name), hostname: serviceHost(env, service.name) }
}

/**
 * On SIGTERM or SIGINT, spans still queued get a moment to leave (an unreachable collector must not hold the
 * process up), then the process exits.
 */
export function exitOnStopSignal(telemetry: Telemetry): void {
  const stop = () =>
    Promise.race([telemetry.shutdown(), new Promise((resolve) => setTimeout(resolve, 2000))]).finally(() =>
      process.exit(0),
    )
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
}

/** Imported only by services that own data, so the gateway never loads libSQL's native driver (on Deno: no FFI). */
async function openServiceDatabase(name: ServiceName, migrations: string, env: Env) {
  const { openDatabase } = await import('./database.ts')
  return openDatabase(databaseUrl(env, name), migrations, databaseAuthToken(env, name))
}

/**
 * Runs the task now and then every `everyMs`, one run at a time; a failed run is logged and tried again later.
 * Timers from `node:timers`: Deno's global `setInterval` returns a number, which has no `unref`.
 */
function repeat(task: BackgroundTask): void {
  let running = false
  const run = () => {
    if (running) return
    running = true
    task
      .run()
      .catch((error) =>
        console.error(`${task.name} failed, will retry:`, error instanceof Error ? error.message : error),
      )
      .finally(() => {
        running = false
      })
  }
  setTimeout(run, 0)
  setInterval(run, task.everyMs).unref()
}
