import type { Env } from './telemetry/config.ts'

export type ServiceName = 'gateway' | 'order' | 'inventory' | 'payment' | 'collector'

/** Documented defaults; every one can be overridden by the variable named beside it. */
export const DEFAULT_PORTS: Record<ServiceName, number> = {
  gateway: 8080,
  order: 8081,
  inventory: 8082,
  payment: 8083,
  collector: 4318,
}

const envPrefix = (name: ServiceName) => name.toUpperCase()

/** `GATEWAY_PORT` … `COLLECTOR_PORT`. */
export function servicePort(env: Env, name: ServiceName): number {
  return Number(env[`${envPrefix(name)}_PORT`] || DEFAULT_PORTS[name])
}

/**
 * The address a service listens on: `GATEWAY_HOST` …, else `HOST`, else all interfaces for the gateway (the public
 * door) and loopback for the others, so order, inventory, payment and the collector are private unless asked.
 */
export function serviceHost(env: Env, name: ServiceName): string {
  return env[`${envPrefix(name)}_HOST`] || env.HOST || (name === 'gateway' ? '0.0.0.0' : '127.0.0.1')
}

/**
 * The services' credential (`SERVICE_TOKEN`): every internal call carries it, and order, inventory and payment refuse
 * a call without it. `bun run dev` makes a new one each start; on Workers it is a secret.
 */
export function serviceToken(env: Env): string | undefined {
  return env.SERVICE_TOKEN || undefined
}

/** `ORDER_URL` …, else the service on loopback at its port. */
export function serviceUrl(env: Env, name: ServiceName): string {
  return env[`${envPrefix(name)}_URL`] || `http://127.0.0.1:${servicePort(env, name)}`
}

/** `ORDER_DB_URL` …, else a file database in `DATA_DIR` (default `./data`). */
export function databaseUrl(env: Env, name: ServiceName): string {
  const url = env[`${envPrefix(name)}_DB_URL`]
  if (url) return url
  const dir = (env.DATA_DIR || './data').replace(/\/+$/, '')
  return `file:${dir}/${name}.db`
}

/** `ORDER_DB_AUTH_TOKEN` …: the token of a remote database (Turso); none for files and a local sqld. */
export function databaseAuthToken(env: Env, name: ServiceName): string | undefined {
  return env[`${envPrefix(name)}_DB_AUTH_TOKEN`] || undefined
}

/** A non-negative number from the environment, or the default when it is unset or not such a number. */
export function numberSetting(env: Env, key: string, fallback: number): number {
  const value = Number(env[key])
  return env[key] !== undefined && Number.isFinite(value) && value >= 0 ? value : fallback
}
