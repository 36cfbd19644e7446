import type { Client, InValue, ResultSet } from '@libsql/client'
import { fillPlaceholders, type Query, type SQL, sql } from 'drizzle-orm'

// Statements every order runs are built once per service, their values left as placeholders: drizzle otherwise
// builds a statement's SQL from its query builder on every run, which in the services' profiles cost more than
// SQLite takes to run it. A single statement is a drizzle prepared statement (`.prepare()`, which also maps its
// rows); a batch is run by `batchOf` below, since `db.batch` builds what it is given again and takes no prepared
// query. Statements run rarely (a void, a release, recovery) are built when they run.

/**
 * A value given when a prepared statement runs, bound as given, not through its column's encoder: pass what is
 * stored (a time in epoch milliseconds). For an update's `set`, where drizzle's types take no placeholder, and for
 * times anywhere, so that every time on these statements is given the same way.
 */
export function bound<T>(name: string): SQL<T> {
  return sql<T>`${sql.placeholder(name)}`
}

/** A statement's SQL, built once: a prepared statement's `getQuery()`, or a raw statement's (`db.run(sql…)`). */
export type BuiltStatement = Pick<Query, 'sql' | 'params'>

/**
 * Runs statements built once as one batch, all or nothing, each with its values, on the database's client
 * (`db.$client`: the traced one, so the batch is a span as any). Answers libSQL's result of each statement, its rows
 * as returned.
 */
export function batchOf(
  client: Client,
  runs: readonly (readonly [BuiltStatement, Record<string, unknown>])[],
): Promise<ResultSet[]> {
  return client.batch(
    runs.map(([statement, values]) => ({
      sql: statement.sql,
      args: fillPlaceholders(statement.params, values) as InValue[],
    })),
  )
}
