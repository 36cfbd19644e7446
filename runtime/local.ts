import { mkdir } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { createClient } from '@libsql/client'
import { drizzle } from 'drizzle-orm/libsql'
import { migrate } from 'drizzle-orm/libsql/migrator'
import { upstreamFetch } from '../shared/client.ts'
import { databaseUrl, servicePort, serviceUrl } from '../shared/config.ts'
import type { BackgroundTask, ServiceDefinition } from '../shared/service.ts'
import type { Env } from '../shared/telemetry/config.ts'
import { tracedDatabase } from '../shared/telemetry/db.ts'
import { createTelemetry } from '../shared/telemetry/provider.ts'

/**
 * Starts a service on a runtime with a file system (Bun, Deno): opens its libSQL database, applies its drizzle
 * migrations, and reaches the other services over HTTP at their `*_URL`.
 */
export async function startLocal(service: ServiceDefinition, env: Env, runtime: Record<string, string>) {
  const telemetry = createTelemetry({ env, serviceName: service.name, resource: runtime })
  const database = service.migrations ? await openDatabase(databaseUrl(env, service.name), service.migrations) : undefined
  const instance = service.create({
    env,
    telemetry,
    database: database && tracedDatabase(telemetry.tracer, database, databaseUrl(env, service.name)),
    upstream: (name) => ({ baseUrl: serviceUrl(env, name), fetch: upstreamFetch(telemetry.tracer, fetch) }),
    crash: () => process.kill(process.pid, 'SIGKILL'),
  })
  for (const task of instance.tasks ?? []) repeat(task)
  return { instance, telemetry, port: servicePort(env, service.name) }
}

export async function openDatabase(url: string, migrations: string) {
  if (url.startsWith('file:')) await mkdir(new URL('.', new URL(url, `file://${process.cwd()}/`)), { recursive: true })
  const client = createClient({ url })
  if (url.startsWith('file:')) {
    // Tests and tools read the file while the service writes it.
    await client.execute('PRAGMA journal_mode = WAL')
    await client.execute('PRAGMA busy_timeout = 5000')
  }
  await migrate(drizzle(client), { migrationsFolder: fileURLToPath(new URL(`../${migrations}`, import.meta.url)) })
  return client
}

/** Runs the task now and then every `everyMs`, one run at a time; a failed run is logged and tried again later. */
function repeat(task: BackgroundTask): void {
  let running = false
  const run = () => {
    if (running) return
    running = true
    task
      .run()
      .catch((error) => console.error(`${task.name} failed, will retry:`, error instanceof Error ? error.message : error))
      .finally(() => {
        running = false
      })
  }
  setTimeout(run, 0)
  setInterval(run, task.everyMs).unref()
}
