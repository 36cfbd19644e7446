import type { InValue } from '@libsql/client'
import type Database from 'libsql'
import { insertSql } from './store.ts'

/**
 * Rows one statement takes, largest first. The driver's own cost of a call is about that of binding a span's 19
 * values, so a chunk pays it once for many rows; chunks past 64 rows were no cheaper per row.
 */
export const CHUNK_SIZES = [64, 16, 4, 1]

/** Inserts into one table over a native connection, in multi-row statements each prepared once and reused. */
export class MultiRowInsert {
  private readonly statements = new Map<number, Database.Statement>()

  constructor(
    private readonly db: Database.Database,
    private readonly table: string,
    private readonly columns: string[],
  ) {}

  /** Inserts the rows (each a value per column, in order) and says how many were new. */
  run(rows: InValue[][]): number {
    const width = this.columns.length
    let changes = 0
    let start = 0
    for (const size of CHUNK_SIZES) {
      for (; rows.length - start >= size; start += size) {
        const args: InValue[] = new Array(size * width)
        for (let row = 0; row < size; row++) {
          const values = rows[start + row]!
          for (let column = 0; column < width; column++) args[row * width + column] = values[column]!
        }
        changes += this.statement(size).run(args).changes
      }
    }
    return changes
  }

  private statement(rows: number): Database.Statement {
    let statement = this.statements.get(rows)
    if (!statement) {
      statement = this.db.prepare(insertSql(this.table, this.columns, rows))
      this.statements.set(rows, statement)
    }
    return statement
  }
}
