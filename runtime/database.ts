import { mkdir } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { type Client, createClient } from '@libsql/client'
import { drizzle } from 'drizzle-orm/libsql'
import { migrate } from 'drizzle-orm/libsql/migrator'
import { createFileClient } from './file-client.ts'
import { retryWhenBusy } from './remote-client.ts'

/**
 * Opens a libSQL database (a file, sqld or Turso) and applies the drizzle migrations of `migrations`, a folder
 * named from the repository root. Runs where there is a file system: Bun, Deno, the dev runner. A file is opened with
 * `createFileClient`, which compiles each statement once; `{ fileClient: false }` opens it with `@libsql/client`'s
 * own, which compiles it on every call (the bench's floor keeps that, as it was when its goal was set). On a server,
 * the migrations wait for its write lock as a file's would (`retryWhenBusy`); the caller wraps the client it uses.
 */
export async function openDatabase(
  url: string,
  migrations: string,
  authToken?: string,
  { fileClient = true } = {},
): Promise<Client> {
  const file = url.startsWith('file:') ? new URL(url, `file://${process.cwd()}/`) : undefined
  if (file) await mkdir(new URL('.', file), { recursive: true })
  // In-memory databases and URLs with options (`?mode=…`) stay with `@libsql/client`, which knows them.
  const compileOnce = file && fileClient && !file.search && !url.includes(':memory:')
  const client = compileOnce ? createFileClient(fileURLToPath(file)) : createClient({ url, authToken })
  if (file) {
    // Tests and tools read the file while the service writes it.
    await client.execute('PRAGMA journal_mode = WAL')
    await client.execute('PRAGMA busy_timeout = 5000')
  }
  await migrate(drizzle(retryWhenBusy(client)), {
    migrationsFolder: fileURLToPath(new URL(`../${migrations}`, import.meta.url)),
  })
  return client
}
