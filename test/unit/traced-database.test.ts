import { describe, expect, test } from 'bun:test'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClient } from '@libsql/client'
import { context, ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api'
import { tracedDatabase } from '../../shared/telemetry/db.ts'
import { inSpan } from '../../shared/telemetry/span.ts'
import { captureTelemetry } from '../support/capture.ts'
import { SPAN_KIND, STATUS } from '../support/otlp-json.ts'

function database() {
  const capture = captureTelemetry('db-test')
  const db = tracedDatabase(capture.telemetry.tracer, createClient({ url: ':memory:' }), 'file::memory:')
  return { ...capture, db, tracer: capture.telemetry.tracer }
}

describe('traced database', () => {
  test('a statement inside a span is its CLIENT child, named by operation and table, without the values', async () => {
    const { db, tracer, spans } = database()
    await db.execute('create table items (id text primary key, secret text)')
    await inSpan(tracer, 'work', {}, () =>
      db.execute({ sql: 'insert into items (id, secret) values (?, ?)', args: ['a', 'card-4242'] }),
    )
    const [insert, work] = await spans()
    expect(work!.name).toBe('work')
    expect(insert).toMatchObject({ name: 'INSERT items', kind: SPAN_KIND.CLIENT, parentSpanId: work!.spanId })
    expect(insert!.attributes).toEqual({
      'db.system.name': 'sqlite',
      'db.operation.name': 'INSERT',
      'db.collection.name': 'items',
      'db.query.text': 'insert into items (id, secret) values (?, ?)',
    })
  })

  test('a batch is one span with its size; a failing statement is an ERROR span', async () => {
    const { db, tracer, spans } = database()
    await db.execute('create table items (id text primary key)')
    await inSpan(tracer, 'work', {}, async () => {
      await db.batch([
        { sql: 'insert into items values (?)', args: ['a'] },
        { sql: 'insert into items values (?)', args: ['b'] },
      ])
      await db.execute({ sql: 'insert into items values (?)', args: ['a'] }).catch(() => {})
    })
    const [batch, failed] = await spans()
    expect(batch).toMatchObject({ name: 'BATCH', attributes: { 'db.operation.batch.size': 2 } })
    expect(failed!.status.code).toBe(STATUS.ERROR)
    expect(failed!.status.message).toContain('UNIQUE')
  })

  test('a batch, its first statement alone and a longer batch starting alike are each described as themselves', async () => {
    const { db, tracer, spans } = database()
    await db.execute('create table items (id text)')
    const insert = { sql: 'insert into items values (?)', args: ['a'] }
    const count = 'select count(*) from items'
    await inSpan(tracer, 'work', {}, async () => {
      for (let round = 0; round < 2; round++) {
        await db.batch([insert, count])
        await db.execute(insert)
        await db.batch([insert, count, count])
      }
    })
    const described = (await spans())
      .filter((span) => span.name !== 'work')
      .map((span) => [span.name, span.attributes['db.operation.batch.size'], span.attributes['db.query.text']])
    const once = [
      ['BATCH', 2, `${insert.sql};\n${count}`],
      ['INSERT items', undefined, insert.sql],
      ['BATCH', 3, `${insert.sql};\n${count};\n${count}`],
    ]
    expect(described).toEqual([...once, ...once])
  })

  test('a statement outside any span (a background poll) makes no trace of its own', async () => {
    const { db, spans } = database()
    await db.execute('select 1')
    expect(await spans()).toEqual([])
  })

  test('a statement in a trace that is not sampled runs as it is, and no span is made for it', async () => {
    const { telemetry, spans } = captureTelemetry('db-test')
    let started = 0
    // The tracer, counting the spans it is asked for.
    const tracer = new Proxy(telemetry.tracer, {
      get: (target, key) =>
        key === 'startSpan'
          ? (...args: Parameters<typeof target.startSpan>) => {
              started++
              return target.startSpan(...args)
            }
          : Reflect.get(target, key),
    })
    const db = tracedDatabase(tracer, createClient({ url: ':memory:' }), 'file::memory:')
    const inTrace = (traceFlags: TraceFlags) =>
      trace.setSpanContext(ROOT_CONTEXT, {
        traceId: 'a'.repeat(32),
        spanId: 'b'.repeat(16),
        traceFlags,
        isRemote: true,
      })
    const unsampled = await context.with(inTrace(TraceFlags.NONE), () => db.execute('select 1 as one'))
    expect(unsampled.rows[0]!.one).toBe(1)
    expect(started).toBe(0)
    expect(await spans()).toEqual([])
    await context.with(inTrace(TraceFlags.SAMPLED), () => db.execute('select 1 as one'))
    expect(started).toBe(1)
    expect((await spans()).map((span) => [span.name, span.traceId])).toEqual([['SELECT', 'a'.repeat(32)]])
  })

  test('db.namespace is the database file of a file: URL', async () => {
    const capture = captureTelemetry('db-test')
    const file = join(await mkdtemp(join(tmpdir(), 'traced-db-')), 'order.db')
    const db = tracedDatabase(capture.telemetry.tracer, createClient({ url: `file:${file}` }), `file:${file}`)
    await inSpan(capture.telemetry.tracer, 'work', {}, () => db.execute('select 1'))
    const [select] = await capture.spans()
    expect(select!.attributes).toMatchObject({ 'db.system.name': 'sqlite', 'db.namespace': file })
    db.close()
  })

  test('a remote libSQL server is named by server.address and port, its token never on the span', async () => {
    const capture = captureTelemetry('db-test')
    const url = 'libsql://orders-shop.turso.io:8443?authToken=secret-token'
    const inner = createClient({ url: ':memory:' })
    const db = tracedDatabase(capture.telemetry.tracer, inner, url)
    await inSpan(capture.telemetry.tracer, 'work', {}, () => db.execute('select 1'))
    const [select] = await capture.spans()
    expect(select!.attributes).toMatchObject({ 'server.address': 'orders-shop.turso.io', 'server.port': 8443 })
    expect(select!.attributes['db.namespace']).toBeUndefined()
    expect(JSON.stringify(select!.attributes)).not.toContain('secret-token')
  })
})
