import { expect } from 'bun:test'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { drizzle } from 'drizzle-orm/libsql'
import type { z } from 'zod'
import { createCollectorApp } from '../../collector/app.ts'
import * as schema from '../../collector/schema.ts'
import { type CollectorSettings, DEFAULT_SETTINGS } from '../../collector/settings.ts'
import { openDatabase } from '../../runtime/database.ts'
import { runBun } from '../support/run-bun.ts'

const ROOT = join(import.meta.dir, '../..')

/** A collector app on a fresh libSQL file in a temp dir, called through `app.request()`. */
export async function testCollector(settings: Partial<CollectorSettings> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'collector-test-'))
  const client = await openDatabase(`file:${dir}/collector.db`, 'drizzle/collector')
  const db = drizzle(client, { schema })
  const app = createCollectorApp({ db, settings: { ...DEFAULT_SETTINGS, ...settings } })
  return {
    app,
    db,
    close: async () => {
      client.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** A port nothing listens on now (never the real system's 8080-8083 or 4318). */
export function freePort(): number {
  const server = Bun.serve({ port: 0, fetch: () => new Response() })
  const port = server.port!
  server.stop(true)
  return port
}

/** The real collector (`collector/bun.ts`) as a child process on a free port; `stop()` ends it by its pid. */
export async function startCollectorProcess() {
  const dir = await mkdtemp(join(tmpdir(), 'collector-proc-'))
  const port = freePort()
  const child = Bun.spawn([process.execPath, 'collector/bun.ts'], {
    cwd: ROOT,
    env: { ...process.env, COLLECTOR_PORT: String(port), COLLECTOR_DB_URL: `file:${dir}/collector.db` },
    stdout: 'ignore',
    stderr: 'inherit',
  })
  const url = `http://127.0.0.1:${port}`
  for (let attempt = 0; ; attempt++) {
    const ready = await fetch(`${url}/healthz`).then(
      (response) => response.ok,
      () => false,
    )
    if (ready) break
    if (attempt > 100 || child.exitCode !== null) throw new Error('the collector did not start')
    await Bun.sleep(100)
  }
  return {
    url,
    stop: async () => {
      child.kill()
      await child.exited
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** Runs `bun run traces …` against a collector and returns its output. */
export function runTraces(url: string, ...args: string[]) {
  return runBun('run', 'traces', ...args, '--url', url)
}

/**
 * GETs `path` from the app, checks the status and that the answer is JSON, and parses it with `schema`: a field the
 * schema does not name, or one encoded otherwise, fails.
 */
export async function getParsed<S extends z.ZodType>(
  app: { request: (path: string) => Response | Promise<Response> },
  schema: S,
  path: string,
  status = 200,
): Promise<z.infer<S>> {
  const response = await app.request(path)
  expect(response.status).toBe(status)
  expect(response.headers.get('content-type')).toContain('application/json')
  return schema.parse(await response.json())
}

export const nowNanos = () => BigInt(Date.now()) * 1_000_000n

export const postOtlp = (
  app: { request: (path: string, init: RequestInit) => Response | Promise<Response> },
  body: unknown,
  headers: Record<string, string> = {},
) =>
  app.request('/v1/traces', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' || body instanceof Uint8Array ? (body as BodyInit) : JSON.stringify(body),
  })
