import type { Client, InStatement, Transaction } from '@libsql/client'
import { type Attributes, SpanKind, type Tracer, trace } from '@opentelemetry/api'
import {
  ATTR_DB_COLLECTION_NAME,
  ATTR_DB_NAMESPACE,
  ATTR_DB_OPERATION_BATCH_SIZE,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_QUERY_TEXT,
  ATTR_DB_SYSTEM_NAME,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
} from '@opentelemetry/semantic-conventions'
import { inSpan } from './span.ts'

type Statement = InStatement | [string, unknown?]

/**
 * Wraps a libSQL client so each statement (and each batch) is a CLIENT span following the database conventions:
 * `db.system.name`, `db.namespace`, `db.query.text` with the SQL as sent (drizzle binds values as `?` parameters,
 * so no values reach the span), `db.operation.name`, `db.collection.name`, `server.address`/`server.port`. Transactions are wrapped the same way. A statement
 * outside any span (a background loop polling a table) makes no span: alone it would be a trace of its own, every
 * poll, burying the traces worth reading; background work that matters opens its own span first.
 */
export function tracedDatabase(tracer: Tracer, client: Client, url: string): Client {
  const base = baseAttributes(url)
  const traced = <T>(statements: Statement[], run: () => Promise<T>): Promise<T> => {
    if (!trace.getActiveSpan()) return run()
    const attributes = { ...base, ...queryAttributes(statements) }
    const name = [attributes[ATTR_DB_OPERATION_NAME], attributes[ATTR_DB_COLLECTION_NAME]].filter(Boolean).join(' ')
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

/**
 * What the URL says about the database. `db.namespace` is the database file of a `file:` URL (SQLite's database is
 * its file); an in-memory database has no name, and a remote libSQL server (sqld, Turso) serves the one database its
 * URL names, which `server.address` and `server.port` already say.
 */
function baseAttributes(url: string): Attributes {
  // `sqlite` is the conventions' value for SQLite (still in the incubating set, hence no stable constant).
  const attributes: Attributes = { [ATTR_DB_SYSTEM_NAME]: 'sqlite' }
  if (url.startsWith('file:')) {
    const file = url
      .slice('file:'.length)
      .split('?')[0]!
      .replace(/^\/\/(?=\/)/, '')
    if (file && file !== ':memory:') attributes[ATTR_DB_NAMESPACE] = file
  } else if (!url.startsWith(':memory:') && URL.canParse(url)) {
    const parsed = new URL(url.replace(SECRET_QUERY, ''))
    attributes[ATTR_SERVER_ADDRESS] = parsed.hostname
    if (parsed.port) attributes[ATTR_SERVER_PORT] = Number(parsed.port)
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
    return {
      [ATTR_DB_OPERATION_NAME]: 'BATCH',
      [ATTR_DB_OPERATION_BATCH_SIZE]: texts.length,
      [ATTR_DB_QUERY_TEXT]: texts.join(';\n'),
    }
  }
  const text = texts[0]!
  return {
    [ATTR_DB_QUERY_TEXT]: text,
    [ATTR_DB_OPERATION_NAME]: OPERATION.exec(text)?.[1]?.toUpperCase(),
    [ATTR_DB_COLLECTION_NAME]: COLLECTION.exec(text)?.[1],
  }
}
