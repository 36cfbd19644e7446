import type { Client, InStatement, Transaction } from '@libsql/client'
import { type Attributes, SpanKind, type Tracer, trace } from '@opentelemetry/api'
import { inSpan } from './span.ts'

type Statement = InStatement | [string, unknown?]

/**
 * Wraps a libSQL client so each statement (and each batch) is a CLIENT span following the database conventions:
 * `db.system.name`, `db.query.text` with the SQL as sent (drizzle binds values as `?` parameters, so no values
 * reach the span), `db.operation.name`, `db.collection.name`. Transactions are wrapped the same way. A statement
 * outside any span (a background loop polling a table) makes no span: alone it would be a trace of its own, every
 * poll, burying the traces worth reading; background work that matters opens its own span first.
 */
export function tracedDatabase(tracer: Tracer, client: Client, url: string): Client {
  const base = baseAttributes(url)
  const traced = <T>(statements: Statement[], run: () => Promise<T>): Promise<T> => {
    if (!trace.getActiveSpan()) return run()
    const attributes = { ...base, ...queryAttributes(statements) }
    const name = [attributes['db.operation.name'], attributes['db.collection.name']].filter(Boolean).join(' ')
    return inSpan(tracer, name || 'sqlite', { kind: SpanKind.CLIENT, attributes }, run)
  }
  const wrap = <C extends Client | Transaction>(target: C): C =>
    new Proxy(target, {
      get(obj, key, receiver) {
        const value = Reflect.get(obj, key, receiver)
        if (key === 'execute') {
          return (stmt: InStatement | string, args?: unknown) =>
            traced([stmt], () => (obj.execute as (...args: unknown[]) => Promise<unknown>).call(obj, stmt, args))
        }
        if (key === 'batch') {
          return (stmts: Statement[], mode?: unknown) =>
            traced(stmts, () => (obj.batch as (...args: unknown[]) => Promise<unknown>).call(obj, stmts, mode))
        }
        if (key === 'transaction') {
          return async (mode?: unknown) => wrap(await (obj as Client).transaction(mode as never))
        }
        return typeof value === 'function' ? value.bind(obj) : value
      },
    })
  return wrap(client)
}

const SECRET_QUERY = /authToken=[^&]*/gi

function baseAttributes(url: string): Attributes {
  const attributes: Attributes = { 'db.system.name': 'sqlite' }
  if (!url.startsWith('file:') && !url.startsWith(':memory:')) {
    const parsed = new URL(url.replace(SECRET_QUERY, ''))
    attributes['server.address'] = parsed.hostname
    if (parsed.port) attributes['server.port'] = Number(parsed.port)
  }
  return attributes
}

const OPERATION = /^\s*(\w+)/
const COLLECTION = /\b(?:from|into|update|table)\s+["`]?(\w+)["`]?/i

function queryAttributes(statements: Statement[]): Attributes {
  const texts = statements.map((statement) =>
    typeof statement === 'string' ? statement : Array.isArray(statement) ? statement[0] : statement.sql,
  )
  if (texts.length !== 1) {
    return { 'db.operation.name': 'BATCH', 'db.operation.batch.size': texts.length, 'db.query.text': texts.join(';\n') }
  }
  const text = texts[0]!
  return {
    'db.query.text': text,
    'db.operation.name': OPERATION.exec(text)?.[1]?.toUpperCase(),
    'db.collection.name': COLLECTION.exec(text)?.[1],
  }
}
