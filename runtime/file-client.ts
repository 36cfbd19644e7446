import { Buffer } from 'node:buffer'
import {
  type Client,
  type InArgs,
  type InStatement,
  type InValue,
  LibsqlBatchError,
  LibsqlError,
  type Replicated,
  type ResultSet,
  type Row,
  type Transaction,
  type TransactionMode,
} from '@libsql/client'
import Database from 'libsql'

/**
 * A libSQL client for a local file, in place of the one `@libsql/client` makes for `file:` URLs. That one compiles
 * every statement again on every call, then asks the compiled statement whether it returns rows by catching the
 * exception `raw()` throws when it does not, and reads its columns twice: in a CPU profile of the four Bun services
 * under load, untraced, that was about a fifth of an order's CPU (`prepare` alone 0.93 ms of 5.0). Here a connection
 * keeps each statement it compiled, with its columns. The rest is `@libsql/client`'s behaviour, which
 * test/unit/file-client.test.ts holds side by side with it: rows shaped as it shapes them (values by index, and by
 * column name), integers as numbers (its default `intMode`), SQLite's errors as `LibsqlError`s with the same codes, a
 * batch in one transaction that is rolled back whole when a statement fails. Statements run synchronously, so one
 * connection serves every call; an interactive transaction, which holds its connection across awaits, opens one of
 * its own, as `@libsql/client` lends one from its pool.
 */
export function createFileClient(path: string): Client {
  return new FileClient(path)
}

/** Statements a connection keeps: more than the shop's services run, few enough to bound its memory. */
const MAX_STATEMENTS = 512
/** How long a statement waits for another connection's write lock before SQLITE_BUSY, as `busy_timeout`. */
const BUSY_TIMEOUT_MS = 5000

interface Compiled {
  statement: Database.Statement
  /** The columns of a statement that returns rows; undefined for one that does not. */
  columns?: string[]
  columnTypes?: string[]
}

/** One connection and the statements compiled on it. */
class Connection {
  readonly db: Database.Database
  private readonly compiled = new Map<string, Compiled>()

  constructor(path: string) {
    this.db = new Database(path, { timeout: BUSY_TIMEOUT_MS })
  }

  run(stmt: InStatement): ResultSet {
    const { sql, args } = typeof stmt === 'string' ? { sql: stmt, args: [] } : stmt
    try {
      const { statement, columns, columnTypes } = this.compile(sql)
      const values = bindValues(args ?? [])
      if (columns) {
        const rows = (statement.all(values) as unknown[][]).map((row) => toRow(row, columns))
        return new FileResultSet(columns, columnTypes!, rows, 0, undefined)
      }
      const { changes, lastInsertRowid } = statement.run(values)
      return new FileResultSet([], [], [], changes, BigInt(lastInsertRowid))
    } catch (error) {
      throw libsqlError(error)
    }
  }

  /** Runs statements that may change the schema: the statements compiled before are compiled again when next run. */
  exec(sql: string): void {
    this.compiled.clear()
    try {
      this.db.exec(sql)
    } catch (error) {
      throw libsqlError(error)
    }
  }

  /** Statements in one transaction, opened with `begin`; rolled back whole if one fails (`LibsqlBatchError`). */
  batch(stmts: InStatement[], begin: string): ResultSet[] {
    this.run(begin)
    try {
      const results = stmts.map((stmt, index) => {
        // A statement before may have ended the transaction (a ROLLBACK of its own, or an error SQLite rolls back on).
        if (!this.db.inTransaction)
          throw new LibsqlBatchError('The transaction has been rolled back', index, 'TRANSACTION_CLOSED')
        return inBatch(index, () => this.run(stmt))
      })
      this.run('COMMIT')
      return results
    } finally {
      if (this.db.inTransaction) this.run('ROLLBACK')
    }
  }

  forgetStatements(): void {
    this.compiled.clear()
  }

  close(): void {
    this.compiled.clear()
    if (this.db.open) this.db.close()
  }

  private compile(sql: string): Compiled {
    let compiled = this.compiled.get(sql)
    if (compiled) return compiled
    const statement = this.db.prepare(sql)
    statement.safeIntegers(true)
    compiled = { statement }
    if (statement.reader) {
      statement.raw(true)
      const columns = statement.columns()
      compiled.columns = columns.map((column) => column.name)
      compiled.columnTypes = columns.map((column) => column.type ?? '')
    }
    if (this.compiled.size >= MAX_STATEMENTS) this.compiled.clear()
    this.compiled.set(sql, compiled)
    return compiled
  }
}

class FileClient implements Client {
  closed = false
  readonly protocol = 'file'
  private connection: Connection | undefined

  constructor(private readonly path: string) {
    // Fails here, as `@libsql/client` does, when the file cannot be opened.
    this.open().run('SELECT 1')
  }

  async execute(stmtOrSql: InStatement | string, args?: InArgs): Promise<ResultSet> {
    const stmt = typeof stmtOrSql === 'string' ? { sql: stmtOrSql, args: args ?? [] } : stmtOrSql
    return this.open().run(stmt)
  }

  async batch(stmts: (InStatement | [string, InArgs?])[], mode: TransactionMode = 'deferred'): Promise<ResultSet[]> {
    const statements = stmts.map((stmt) => (Array.isArray(stmt) ? { sql: stmt[0], args: stmt[1] ?? [] } : stmt))
    return this.open().batch(statements, beginStatement(mode))
  }

  async migrate(stmts: InStatement[]): Promise<ResultSet[]> {
    const connection = this.open()
    connection.run('PRAGMA foreign_keys=off')
    try {
      return connection.batch(stmts, beginStatement('deferred'))
    } finally {
      connection.run('PRAGMA foreign_keys=on')
      connection.forgetStatements()
    }
  }

  async transaction(mode: TransactionMode = 'write'): Promise<Transaction> {
    this.checkOpen()
    const connection = new Connection(this.path)
    try {
      connection.run(beginStatement(mode))
    } catch (error) {
      connection.close()
      throw error
    }
    return new FileTransaction(connection)
  }

  async executeMultiple(sql: string): Promise<void> {
    this.open().exec(sql)
  }

  async sync(): Promise<Replicated> {
    throw new LibsqlError('sync() is for embedded replicas; this client opens a local file', 'SYNC_NOT_SUPPORTED')
  }

  close(): void {
    this.closed = true
    this.connection?.close()
    this.connection = undefined
  }

  reconnect(): void {
    this.close()
    this.closed = false
  }

  private open(): Connection {
    this.checkOpen()
    this.connection ??= new Connection(this.path)
    return this.connection
  }

  private checkOpen(): void {
    if (this.closed) throw new LibsqlError('The client is closed', 'CLIENT_CLOSED')
  }
}

/** An interactive transaction on a connection of its own, closed when the transaction ends. */
class FileTransaction implements Transaction {
  constructor(private connection: Connection | undefined) {}

  get closed(): boolean {
    return !this.connection?.db.open || !this.connection.db.inTransaction
  }

  async execute(stmt: InStatement): Promise<ResultSet> {
    return this.active().run(stmt)
  }

  async batch(stmts: InStatement[]): Promise<ResultSet[]> {
    return stmts.map((stmt, index) => inBatch(index, () => this.active().run(stmt)))
  }

  async executeMultiple(sql: string): Promise<void> {
    this.active().exec(sql)
  }

  async commit(): Promise<void> {
    try {
      this.active().run('COMMIT')
    } finally {
      this.end()
    }
  }

  async rollback(): Promise<void> {
    this.close()
  }

  close(): void {
    try {
      if (!this.closed) this.connection!.run('ROLLBACK')
    } finally {
      this.end()
    }
  }

  private active(): Connection {
    if (this.closed) throw new LibsqlError('The transaction is closed', 'TRANSACTION_CLOSED')
    return this.connection!
  }

  private end(): void {
    this.connection?.close()
    this.connection = undefined
  }
}

/** A result as `@libsql/client` makes it (its `ResultSetImpl`, which it does not export). */
class FileResultSet implements ResultSet {
  constructor(
    readonly columns: string[],
    readonly columnTypes: string[],
    readonly rows: Row[],
    readonly rowsAffected: number,
    readonly lastInsertRowid: bigint | undefined,
  ) {}

  toJSON() {
    return {
      columns: this.columns,
      columnTypes: this.columnTypes,
      rows: this.rows.map((row) => Array.prototype.map.call(row, jsonValue)),
      rowsAffected: this.rowsAffected,
      lastInsertRowid: this.lastInsertRowid === undefined ? null : String(this.lastInsertRowid),
    }
  }
}

function jsonValue(value: unknown): unknown {
  if (typeof value === 'bigint') return String(value)
  if (value instanceof ArrayBuffer) return Buffer.from(value).toString('base64')
  return value
}

/** Runs the statement at `index` of a batch: a `LibsqlError` it throws becomes a `LibsqlBatchError` naming it. */
function inBatch(index: number, run: () => ResultSet): ResultSet {
  try {
    return run()
  } catch (error) {
    if (!(error instanceof LibsqlError) || error instanceof LibsqlBatchError) throw error
    const cause = error.cause instanceof Error ? error.cause : undefined
    throw new LibsqlBatchError(error.message, index, error.code, error.extendedCode, error.rawCode, cause)
  }
}

function beginStatement(mode: TransactionMode): string {
  if (mode === 'write') return 'BEGIN IMMEDIATE'
  if (mode === 'read') return 'BEGIN TRANSACTION READONLY'
  if (mode === 'deferred') return 'BEGIN DEFERRED'
  throw new RangeError('Unknown transaction mode, supported values are "write", "read" and "deferred"')
}

/** A row as `@libsql/client` shapes it: each value by index (not enumerated) and by column name, the first wins. */
function toRow(values: unknown[], columns: string[]): Row {
  const row = {}
  Object.defineProperty(row, 'length', { value: values.length })
  for (let index = 0; index < values.length; index++) {
    const value = fromSqlite(values[index])
    Object.defineProperty(row, index, { value })
    const column = columns[index]!
    if (!Object.hasOwn(row, column)) {
      Object.defineProperty(row, column, { value, enumerable: true, configurable: true, writable: true })
    }
  }
  return row as Row
}

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER)
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER)

function fromSqlite(value: unknown): unknown {
  if (typeof value === 'bigint') {
    if (value < MIN_SAFE || value > MAX_SAFE)
      throw new RangeError('Received integer which cannot be safely represented as a JavaScript number')
    return Number(value)
  }
  if (value instanceof Buffer) return value.buffer
  return value
}

const MIN_INTEGER = -(2n ** 63n)
const MAX_INTEGER = 2n ** 63n - 1n

function bindValues(args: InArgs): unknown[] | Record<string, unknown> {
  if (Array.isArray(args)) return args.map(toSqlite)
  const named: Record<string, unknown> = {}
  for (const name in args) {
    const bare = name[0] === '@' || name[0] === '$' || name[0] === ':' ? name.slice(1) : name
    named[bare] = toSqlite(args[name]!)
  }
  return named
}

function toSqlite(value: InValue): unknown {
  if (typeof value === 'number') {
    if (!Number.isFinite(value))
      throw new RangeError('Only finite numbers (not Infinity or NaN) can be passed as arguments')
    return value
  }
  if (typeof value === 'bigint') {
    if (value < MIN_INTEGER || value > MAX_INTEGER)
      throw new RangeError('bigint is too large to be represented as a 64-bit integer and passed as argument')
    return value
  }
  if (typeof value === 'boolean') return value ? 1 : 0
  if (value instanceof ArrayBuffer) return Buffer.from(value)
  if (value instanceof Date) return value.valueOf()
  if (value === undefined) throw new TypeError('undefined cannot be passed as argument to the database')
  return value
}

/** SQLite's error as `@libsql/client` reports it: the base code (`SQLITE_CONSTRAINT`) and the extended one. */
function libsqlError(error: unknown): unknown {
  if (!(error instanceof Database.SqliteError)) return error
  const rawCode = (error as { rawCode?: number }).rawCode
  return new LibsqlError(error.message, baseCode(rawCode), error.code, rawCode, error)
}

const BASE_CODES = [
  'SQLITE_OK',
  'SQLITE_ERROR',
  'SQLITE_INTERNAL',
  'SQLITE_PERM',
  'SQLITE_ABORT',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_NOMEM',
  'SQLITE_READONLY',
  'SQLITE_INTERRUPT',
  'SQLITE_IOERR',
  'SQLITE_CORRUPT',
  'SQLITE_NOTFOUND',
  'SQLITE_FULL',
  'SQLITE_CANTOPEN',
  'SQLITE_PROTOCOL',
  'SQLITE_EMPTY',
  'SQLITE_SCHEMA',
  'SQLITE_TOOBIG',
  'SQLITE_CONSTRAINT',
  'SQLITE_MISMATCH',
  'SQLITE_MISUSE',
  'SQLITE_NOLFS',
  'SQLITE_AUTH',
  'SQLITE_FORMAT',
  'SQLITE_RANGE',
  'SQLITE_NOTADB',
  'SQLITE_NOTICE',
  'SQLITE_WARNING',
]

/** Extended codes are `base | (extended << 8)`. */
function baseCode(rawCode: number | undefined): string {
  if (rawCode === undefined) return 'SQLITE_UNKNOWN'
  const base = rawCode & 0xff
  return (base > 0 && BASE_CODES[base]) || `SQLITE_UNKNOWN_${base}`
}
