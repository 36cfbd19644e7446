// `bun run migrate`: applies each service's drizzle migrations to its `*_DB_URL` (with `*_DB_AUTH_TOKEN` for Turso).
// The deploy step for Workers, which cannot read a migrations folder; `bun run dev --runtime workers` runs it
// against the local sqld servers before the Workers start, so it waits for a server that is still starting.
import { openDatabase } from '../runtime/database.ts'
import { databaseAuthToken, databaseUrl } from '../shared/config.ts'
import { type CommandSpec, readCommandLine } from './cli.ts'
import { databaseServices } from './databases.ts'

const WAIT_FOR_SERVER_MS = 30_000

const MIGRATE_COMMAND = {
  name: 'migrate',
  summary:
    "Applies each service's drizzle migrations (drizzle/<service>/) to its database: ORDER_DB_URL, INVENTORY_DB_URL\n" +
    'and PAYMENT_DB_URL (with *_DB_AUTH_TOKEN for Turso), else a file in DATA_DIR (./data). Waits up to 30 s for a\n' +
    'database server that is still starting.',
  options: {},
  examples: ['bun run migrate', 'ORDER_DB_URL=http://127.0.0.1:8090 bun run migrate'],
} as const satisfies CommandSpec

readCommandLine(MIGRATE_COMMAND)

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
