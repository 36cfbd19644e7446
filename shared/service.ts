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
}

/** A service as the runtimes see it: everything but the runtime, so one definition serves Bun, Deno and Workers. */
export interface ServiceDefinition {
  name: ServiceName
  /** The drizzle migrations folder, from the repository root, for services that own data. */
  migrations?: string
  create(context: ServiceContext): { fetch(request: Request): Response | Promise<Response> }
}

export function requireDatabase(context: ServiceContext): Client {
  if (!context.database) throw new Error('this service needs a database: declare its migrations')
  return context.database
}
