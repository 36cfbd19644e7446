import type { Client } from '@libsql/client'
import type { Upstream } from './client.ts'
import type { ServiceName } from './config.ts'
import type { Env } from './telemetry/config.ts'
import type { Telemetry } from './telemetry/provider.ts'

/** What a runtime hands a service: its env, its telemetry, its (traced) database and how to reach the others. */
export interface ServiceContext {
  env: Env
  telemetry: Telemetry
  /** Present when the service declares `migrations`. */
  database?: Client
  upstream(name: ServiceName): Upstream
  /** Ends the process at once, as a crash would (fault injection); runtimes without processes leave it out. */
  crash?: () => void
}

/** Background work a runtime repeats: at start, then every `everyMs`, one run at a time. */
export interface BackgroundTask {
  /** Says what it does in logs, e.g. `order recovery`. */
  name: string
  run: () => Promise<unknown>
  everyMs: number
}

/** A running service: its request handler and, for services that have any, the background tasks the runtime repeats. */
export interface ServiceInstance {
  fetch(request: Request): Response | Promise<Response>
  /** E.g. resolving orders a crash interrupted, delivering the outbox. */
  tasks?: BackgroundTask[]
}

/** A service as the runtimes see it: everything but the runtime, so one definition serves Bun, Deno and Workers. */
export interface ServiceDefinition {
  name: ServiceName
  /** The drizzle migrations folder, from the repository root, for services that own data. */
  migrations?: string
  create(context: ServiceContext): ServiceInstance
}

export function requireDatabase(context: ServiceContext): Client {
  if (!context.database) throw new Error('this service needs a database: declare its migrations')
  return context.database
}
