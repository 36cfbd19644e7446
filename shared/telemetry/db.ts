import type { Client, InStatement, Transaction } from '@libsql/client'
import { type Attributes, context, SpanKind, type SpanOptions, type Tracer, trace } from '@opentelemetry/api'
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
import { endSpanAfter } from './span.ts'
import { mayRecordUnder } from './tracer.ts'
import { isUntraced } from './untraced-tracer.ts'

type Statement = InStatement | [string, unknown?]

/**
 * Wraps a libSQL client so each statement (and each batch) is a CLIENT span following the database conventions:
 * `db.system.name`, `db.namespace`, `db.query.text` with the SQL as sent (drizzle binds values as `?` parameters,
 * so no values reach the span), `db.operation.name`, `db.collection.name`, `server.address`/`server.port`. Transactions are wrapped the same way. A statement
 * outside any span (a background loop polling a table) makes no span: alone it would be a trace of its own, every
 * poll, burying the traces worth reading; background work that matters opens its own span first. With tracing
 * disabled the client is returned as it is: there is no span to make and no context a statement could carry.
 */
export function tracedDatabase(tracer: Tracer, client: Client, url: string): Client {
  if (isUntraced(tracer)) return client
  const base = baseAttributes(url)
  // Drizzle sends the same few statements and batches over and over: their name and attributes are worked out once
  // each, found statement by statement (no key joined from a batch's SQL on every call).
  const described: DescriptionNode = { next: new Map() }
  let describedCount = 0
  const describe = (statements: Statement[]): Description => {
    let node = described
    for (const statement of statements) {
      const sql = sqlOf(statement)
      let child = node.next.get(sql)
      if (!child) {
        if (describedCount >= DESCRIPTION_CACHE_LIMIT) return description(base, statements)
        child = { next: new Map() }
        node.next.set(sql, child)
      }
      node = child
    }
    if (!node.description) {
      if (describedCount >= DESCRIPTION_CACHE_LIMIT) return description(base, statements)
      node.description = description(base, statements)
      describedCount++
    }
    return node.description
  }
  async function traced<T>(
    statements: Statement[],
    target: object,
    method: (...args: unknown[]) => Promise<T>,
    ...args: unknown[]
  ): Promise<T> {
    const parent = context.active()
    // A statement's span is never made active, so one that would record nothing (its trace is not sampled) would
    // change nothing either: none is made.
    if (!trace.getSpan(parent) || !mayRecordUnder(tracer, parent)) return method.apply(target, args)
    const { name, options } = describe(statements)
    const span = tracer.startSpan(name, options, parent)
    // The statement runs in its caller's context: nothing inside the driver makes spans, so making this one active
    // (a context copy and an AsyncLocalStorage frame a statement) would change nothing but the cost.
    return endSpanAfter(span, () => method.apply(target, args))
  }
  const wrap = <C extends Client | Transaction>(target: C): C => {
    // Built once per client or transaction, not on every property read.
    const execute = (stmt: InStatement | string, args?: unknown) =>
      traced([stmt], target, target.execute as (...args: unknown[]) => Promise<unknown>, stmt, args)
    const batch = (stmts: Statement[], mode?: unknown) =>
      traced(stmts, target, target.batch as (...args: unknown[]) => Promise<unknown>, stmts, mode)
    const transaction = async (mode?: unknown) => wrap(await (target as Client).transaction(mode as never))
    const bound = new Map<PropertyKey, unknown>()
    return new Proxy(target, {
      get(obj, key) {
        if (key === 'execute') return execute
        if (key === 'batch') return batch
        if (key === 'transaction') return transaction
        // The client itself as `this`: its getters read private fields, which a Proxy does not have.
        const value = Reflect.get(obj, key, obj)
        if (typeof value !== 'function') return value
        let method = bound.get(key)
        if (!method) {
          method = value.bind(obj)
          bound.set(key, method)
        }
        return method
      },
    })
  }
  return wrap(client)
}

interface Description {
  name: string
  options: SpanOptions
}

/** The descriptions of the statement sequences that start with the SQL this node was reached by, one more at a time. */
interface DescriptionNode {
  next: Map<string, DescriptionNode>
  /** Of the sequence that ends here. */
  description?: Description
}

function description(base: Attributes, statements: Statement[]): Description {
  const attributes = Object.freeze({ ...base, ...queryAttributes(statements.map(sqlOf)) })
  const name = [attributes[ATTR_DB_OPERATION_NAME], attributes[ATTR_DB_COLLECTION_NAME]].filter(Boolean).join(' ')
  return { name: name || 'sqlite', options: { kind: SpanKind.CLIENT, attributes } }
}

/** Distinct statements and batches remembered per database; drizzle's are a few dozen, this only bounds generated SQL. */
const DESCRIPTION_CACHE_LIMIT = 1000

function sqlOf(statement: Statement): string {
  return typeof statement === 'string' ? statement : Array.isArray(statement) ? statement[0] : statement.sql
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

function queryAttributes(texts: string[]): Attributes {
  if (texts.length !== 1) {
    return {
      [ATTR_DB_OPERATION_NAME]: 'BATCH',
      [ATTR_DB_OPERATION_BATCH_SIZE]: texts.length,
      [ATTR_DB_QUERY_TEXT]: texts.join(';\n'),
    }
  }
  const text = texts[0]!
  const attributes: Attributes = { [ATTR_DB_QUERY_TEXT]: text }
  const operation = OPERATION.exec(text)?.[1]?.toUpperCase()
  if (operation) attributes[ATTR_DB_OPERATION_NAME] = operation
  const collection = COLLECTION.exec(text)?.[1]
  if (collection) attributes[ATTR_DB_COLLECTION_NAME] = collection
  return attributes
}
