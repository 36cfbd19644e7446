import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Client, createClient, LibsqlBatchError, LibsqlError, type ResultSet } from '@libsql/client'
import { createFileClient } from '../../runtime/file-client.ts'

const dir = await mkdtemp(join(tmpdir(), 'file-client-'))
afterAll(() => rm(dir, { recursive: true, force: true }))

let files = 0
/** The same new database file opened by `@libsql/client` and by `createFileClient`, each on a file of its own. */
async function sideBySide(schema: string): Promise<Record<'official' | 'ours', Client>> {
  files++
  const official = createClient({ url: `file:${dir}/official-${files}.db` })
  const ours = createFileClient(`${dir}/ours-${files}.db`)
  for (const client of [official, ours]) await client.executeMultiple(schema)
  return { official, ours }
}

/** What a caller can read of a result: its fields, each row by index and by name, and its JSON. */
function seen(result: ResultSet) {
  return {
    columns: result.columns,
    columnTypes: result.columnTypes,
    rowsAffected: result.rowsAffected,
    lastInsertRowid: result.lastInsertRowid,
    byIndex: result.rows.map((row) => Array.prototype.slice.call(row)),
    byName: result.rows.map((row) => ({ ...row })),
    keys: result.rows.map((row) => Object.keys(row)),
    json: JSON.stringify(result),
  }
}

/** What both clients answer, compared: each result seen (a list, one for `execute`), or the error thrown. */
async function bothSee(
  clients: Record<'official' | 'ours', Client>,
  run: (client: Client) => Promise<ResultSet | ResultSet[]>,
) {
  const outcome = async (client: Client) => {
    try {
      return { value: ([] as ResultSet[]).concat(await run(client)).map(seen) }
    } catch (error) {
      const { name, message, code, extendedCode, rawCode } = error as LibsqlError
      const index = error instanceof LibsqlBatchError ? error.statementIndex : undefined
      return { error: { name, message, code, extendedCode, rawCode, index, libsql: error instanceof LibsqlError } }
    }
  }
  const official = await outcome(clients.official)
  expect(await outcome(clients.ours)).toEqual(official)
  return official
}

const SCHEMA = `
  create table items (id integer primary key, name text not null unique, price real, data blob, note text);
  create table counts (n integer);
`

describe('the file client answers as @libsql/client does', () => {
  test('rows by index and by column name, every SQLite type, changes and the last rowid', async () => {
    const clients = await sideBySide(SCHEMA)
    const insert = await bothSee(clients, (client) =>
      client.execute({
        sql: 'insert into items (name, price, data, note) values (?, ?, ?, ?), (?, 2.5, null, ?)',
        args: ['mouse', 19.5, new Uint8Array([1, 2, 3]).buffer, null, 'keyboard', true],
      }),
    )
    expect(insert).toMatchObject({ value: [{ rowsAffected: 2, lastInsertRowid: 2n }] })
    await bothSee(clients, (client) =>
      client.execute({ sql: 'insert into items (name) values ($name)', args: { $name: 'cable' } }),
    )
    const select = await bothSee(clients, (client) =>
      client.execute(
        'select id, name, price, data, note, id as name, count(*) over () as total from items order by id',
      ),
    )
    expect(select.value![0]!.columns).toEqual(['id', 'name', 'price', 'data', 'note', 'name', 'total'])
    // A statement run again is answered from what was compiled the first time, alike.
    await bothSee(clients, (client) => client.execute('select id, name from items where id = ?', [1]))
    await bothSee(clients, (client) => client.execute('select id, name from items where id = ?', [3]))
    await bothSee(clients, (client) =>
      client.execute('insert into items (name) values (?) returning id, name', ['pad']),
    )
  })

  test('SQLite errors carry the same codes; bad values are refused alike', async () => {
    const clients = await sideBySide(SCHEMA)
    await bothSee(clients, (client) => client.execute("insert into items (name) values ('a')"))
    const duplicate = await bothSee(clients, (client) => client.execute("insert into items (name) values ('a')"))
    expect(duplicate.error).toMatchObject({
      libsql: true,
      code: 'SQLITE_CONSTRAINT',
      extendedCode: 'SQLITE_CONSTRAINT_UNIQUE',
    })
    const syntax = await bothSee(clients, (client) => client.execute('selec 1'))
    expect(syntax.error).toMatchObject({ libsql: true, code: 'SQLITE_ERROR' })
    await bothSee(clients, (client) => client.execute('select ?', [Number.NaN]))
    await bothSee(clients, (client) => client.execute('select ?', [undefined as never]))
    await bothSee(clients, (client) => client.execute('select 9007199254740993'))
  })

  test('a batch is one transaction: a failing statement rolls back the ones before it', async () => {
    const clients = await sideBySide(SCHEMA)
    await bothSee(clients, (client) =>
      client.batch(
        [{ sql: 'insert into counts values (?)', args: [1] }, ['insert into counts values (?)', [2]]],
        'write',
      ),
    )
    const failed = await bothSee(clients, (client) =>
      client.batch([
        { sql: 'insert into counts values (?)', args: [3] },
        "insert into items (name) values ('b')",
        "insert into items (name) values ('b')",
      ]),
    )
    expect(failed.error).toMatchObject({ name: 'LibsqlBatchError', index: 2, code: 'SQLITE_CONSTRAINT' })
    const counts = await bothSee(clients, (client) => client.execute('select n from counts order by n'))
    expect(counts.value![0]!.byIndex).toEqual([[1], [2]])
  })

  test('a schema change is seen by the statements compiled before it', async () => {
    const clients = await sideBySide(SCHEMA)
    await bothSee(clients, (client) => client.execute("insert into items (name) values ('a')"))
    await bothSee(clients, (client) => client.execute('select * from items'))
    for (const client of Object.values(clients))
      await client.executeMultiple('alter table items add column stock integer')
    const after = await bothSee(clients, (client) => client.execute('select * from items'))
    expect(after.value![0]!.columns).toContain('stock')
    await bothSee(clients, (client) => client.migrate([{ sql: 'alter table items add column kind text', args: [] }]))
    const migrated = await bothSee(clients, (client) => client.execute('select * from items'))
    expect(migrated.value![0]!.columns).toContain('kind')
  })

  test('an interactive transaction is its own: committed, rolled back, closed', async () => {
    const clients = await sideBySide(SCHEMA)
    for (const client of Object.values(clients)) {
      const committed = await client.transaction('write')
      await committed.execute({ sql: 'insert into counts values (?)', args: [1] })
      await committed.batch([{ sql: 'insert into counts values (?)', args: [2] }])
      await committed.commit()
      expect(committed.closed).toBe(true)
      const rolledBack = await client.transaction()
      await rolledBack.execute({ sql: 'insert into counts values (?)', args: [3] })
      await rolledBack.rollback()
      const closed = await client.transaction()
      await closed.execute({ sql: 'insert into counts values (?)', args: [4] })
      closed.close()
      await expect(closed.execute('select 1')).rejects.toMatchObject({ code: 'TRANSACTION_CLOSED' })
    }
    await bothSee(clients, (client) => client.execute('select n from counts order by n'))
  })

  test('a closed client refuses calls until reconnected', async () => {
    const clients = await sideBySide(SCHEMA)
    for (const client of Object.values(clients)) {
      client.close()
      expect(client.closed).toBe(true)
      await expect(client.execute('select 1')).rejects.toMatchObject({ code: 'CLIENT_CLOSED' })
      await client.reconnect()
      expect((await client.execute('select count(*) as n from items')).rows[0]).toMatchObject({ n: 0 })
    }
  })
})
