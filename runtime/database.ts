import { mkdir } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { createClient } from '@libsql/client'
import { drizzle } from 'drizzle-orm/libsql'
import { migrate } from 'drizzle-orm/libsql/migrator'

/**
 * Opens a libSQL database (a file, sqld or Turso) and applies the drizzle migrations of `migrations`, a folder
 * named from the repository root. Runs where there is a file system: Bun, Deno, the dev runner.
 */
export async function openDatabase(url: string, migrations: string, authToken?: string) {
  if (url.startsWith('file:')) await mkdir(new URL('.', new URL(url, `file://${process.cwd()}/`)), { recursive: true })
  const client = createClient({ url, authToken })
  if (url.startsWith('file:')) {
    // Tests and tools read the file while the service writes it.
    await client.execute('PRAGMA journal_mode = WAL')
    await client.execute('PRAGMA busy_timeout = 5000')
  }
  await migrate(drizzle(client), { migrationsFolder: fileURLToPath(new URL(`../${migrations}`, import.meta.url)) })
  return client
}
