import type { InStatement, InValue } from '@libsql/client'
import Database from 'libsql'
import type { SpanRecord } from './model.ts'
import { MultiRowInsert } from './multi-row-insert.ts'
import type { RetentionSql } from './retention.ts'
import { SpanInsert } from './span-insert.ts'
import { EVENT_COLUMNS, INSERT_OPERATION, INSERT_RESOURCE, LINK_COLUMNS, toRows } from './store.ts'

type Statement = Database.Statement

/**
 * The collector's own write connection to a local libSQL file (the ingest worker's): the same native library as the
 * client, so SQLite's per-process file locks are shared, with prepared inserts that are reused for every request
 * (the client prepares each statement anew, which was a third of the write time), spans, events and links many rows
 * a statement (`MultiRowInsert`: the driver's cost per call was a fifth of a span's). Writes are WAL commits with
 * `synchronous = NORMAL`: no fsync per commit (a power cut may lose the last commits, never corrupt the file), which
 * suits spans. Resources and operations it has stored are remembered, so a steady stream inserts only spans.
 */
export class FileSpanStore {
  private readonly db: Database.Database
  private readonly insertSpans: SpanInsert
  private readonly insertEvents: MultiRowInsert
  private readonly insertLinks: MultiRowInsert
  private readonly insertResource: Statement
  private readonly insertOperation: Statement
  private readonly knownResources = new Set<string>()
  private readonly knownOperations = new Set<string>()

  constructor(path: string) {
    this.db = new Database(path)
    this.db.exec('PRAGMA busy_timeout = 5000')
    this.db.exec('PRAGMA journal_mode = WAL')
    this.db.exec('PRAGMA synchronous = NORMAL')
    // A checkpoint (pages copied back to the file, two fsyncs) after 8192 WAL pages, not SQLite's 1000: small requests
    // rewrite the same index pages in every commit, and checkpointing that often was a fifth of their write CPU.
    this.db.exec('PRAGMA wal_autocheckpoint = 8192')
    // 32 MiB of page cache keeps the indexes' hot pages (the trace id key's leaves are written at random).
    this.db.exec('PRAGMA cache_size = -32768')
    this.insertSpans = new SpanInsert(this.db)
    this.insertEvents = new MultiRowInsert(this.db, 'span_events', EVENT_COLUMNS)
    this.insertLinks = new MultiRowInsert(this.db, 'span_links', LINK_COLUMNS)
    this.insertResource = this.db.prepare(INSERT_RESOURCE)
    this.insertOperation = this.db.prepare(INSERT_OPERATION)
  }

  /** Stores the spans in one transaction (all or none) and says how many were new. */
  insert(records: SpanRecord[]): number {
    if (records.length === 0) return 0
    const rows = toRows(records)
    const newResources = [...rows.resources].filter(([id]) => !this.knownResources.has(id))
    const newOperations = [...rows.operations].filter(([id]) => !this.knownOperations.has(id))
    let added = 0
    this.transaction(() => {
      for (const [, row] of newResources) this.insertResource.run(row)
      for (const [, row] of newOperations) this.insertOperation.run(row)
      added = this.insertSpans.run(rows.spans)
      this.insertEvents.run(rows.events)
      this.insertLinks.run(rows.links)
    })
    // Only once committed: a rolled-back resource must be inserted again next time.
    for (const [id] of newResources) this.knownResources.add(id)
    for (const [id] of newOperations) this.knownOperations.add(id)
    if (this.knownResources.size > 10_000) this.knownResources.clear()
    if (this.knownOperations.size > 10_000) this.knownOperations.clear()
    return added
  }

  /** Retention's statements on this connection. */
  readonly sql: RetentionSql = {
    value: async (sql: string, args: InValue[] = []) => {
      const row = this.db.prepare(sql).raw(true).get(args) as unknown[] | undefined
      const value = row?.[0]
      return value === undefined || value === null ? undefined : Number(value)
    },
    write: async (statements: InStatement[]) => {
      const changes: number[] = []
      this.transaction(() => {
        for (const statement of statements) {
          const { sql, args } = typeof statement === 'string' ? { sql: statement, args: [] } : statement
          changes.push(this.db.prepare(sql).run(Array.isArray(args) ? args : (args ?? [])).changes)
        }
      })
      return changes
    },
  }

  close(): void {
    if (this.db.open) this.db.close()
  }

  private transaction(work: () => void): void {
    this.db.exec('BEGIN IMMEDIATE')
    try {
      work()
      this.db.exec('COMMIT')
    } catch (error) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK')
      throw error
    }
  }
}
