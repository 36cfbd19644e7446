import type { InValue } from '@libsql/client'
import type Database from 'libsql'
import { CHUNK_SIZES, MultiRowInsert } from './multi-row-insert.ts'
import { SPAN_COLUMNS } from './store.ts'

/** Columns an export's spans share, resource by resource and scope by scope: bound once a statement. */
const SHARED = ['service_name', 'resource_id', 'scope_name', 'scope_version'].map((name) => SPAN_COLUMNS.indexOf(name))
/**
 * Columns nearly every span leaves at their default: written into the statement, not bound. Not `flags`: an SDK's
 * spans carry 257 or 769 there (sampled, parent local or remote), and a span that misses a default binds all 19.
 */
const DEFAULTS = new Map<number, InValue>(
  (
    [
      ['status_message', ''],
      ['trace_state', ''],
      ['dropped_attributes_count', 0],
      ['dropped_events_count', 0],
      ['dropped_links_count', 0],
    ] as const
  ).map(([name, value]) => [SPAN_COLUMNS.indexOf(name), value]),
)
/** The columns bound for each span. */
const OWN = SPAN_COLUMNS.map((_, column) => column).filter(
  (column) => !SHARED.includes(column) && !DEFAULTS.has(column),
)

const literal = (value: InValue) => (typeof value === 'string' ? `'${value}'` : String(value))

/**
 * Spans (rows in `SPAN_COLUMNS` order) inserted many a statement, binding 10 values a span instead of 19: the driver's
 * cost is mostly per value bound. Consecutive spans with the same service, resource and scope and default status
 * message, trace state and dropped counts go together, those shared values bound once; any other span is
 * inserted with all its values (`MultiRowInsert`).
 */
export class SpanInsert {
  private readonly statements = new Map<number, Database.Statement>()
  private readonly others: MultiRowInsert

  constructor(private readonly db: Database.Database) {
    this.others = new MultiRowInsert(db, 'spans', SPAN_COLUMNS)
  }

  /** Inserts the rows and says how many were new. */
  run(rows: InValue[][]): number {
    let changes = 0
    const others: InValue[][] = []
    let start = 0
    while (start < rows.length) {
      const first = rows[start]!
      if (!hasDefaults(first)) {
        others.push(first)
        start++
        continue
      }
      let end = start + 1
      while (end < rows.length && end - start < CHUNK_SIZES[0]! && sameRun(first, rows[end]!)) end++
      changes += this.runOf(rows, start, end)
      start = end
    }
    return changes + this.others.run(others)
  }

  /** Rows `start` to `end`, one run, in chunks of the sizes above. */
  private runOf(rows: InValue[][], start: number, end: number): number {
    let changes = 0
    for (const size of CHUNK_SIZES) {
      for (; end - start >= size; start += size) {
        const args: InValue[] = SHARED.map((column) => rows[start]![column]!)
        for (let row = start; row < start + size; row++) for (const column of OWN) args.push(rows[row]![column]!)
        changes += this.statement(size).run(args).changes
      }
    }
    return changes
  }

  private statement(rows: number): Database.Statement {
    let statement = this.statements.get(rows)
    if (!statement) {
      let next = SHARED.length + 1
      const row = () =>
        `(${SPAN_COLUMNS.map((_, column) => {
          const shared = SHARED.indexOf(column)
          if (shared >= 0) return `?${shared + 1}`
          return DEFAULTS.has(column) ? literal(DEFAULTS.get(column)!) : `?${next++}`
        }).join(', ')})`
      const values = Array.from({ length: rows }, row).join(', ')
      statement = this.db.prepare(
        `insert into spans (${SPAN_COLUMNS.join(', ')}) values ${values} on conflict do nothing`,
      )
      this.statements.set(rows, statement)
    }
    return statement
  }
}

function hasDefaults(row: InValue[]): boolean {
  for (const [column, value] of DEFAULTS) if (row[column] !== value) return false
  return true
}

function sameRun(first: InValue[], row: InValue[]): boolean {
  for (const column of SHARED) if (row[column] !== first[column]) return false
  return hasDefaults(row)
}
