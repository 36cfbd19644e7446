import { type SQL, sql } from 'drizzle-orm'

/**
 * A value given when a drizzle prepared statement runs, where drizzle's types take no placeholder (an update's
 * `set`). As SQL it is bound as given, not through its column: pass what is stored (a time in epoch milliseconds).
 *
 * Why prepared statements: drizzle builds a statement's SQL from its query builder on every run, which in the
 * services' profiles cost more than SQLite takes to run it. A statement prepared once is only filled in; batches
 * cannot take one (`db.batch` builds each item), so only single statements on the order path are prepared.
 */
export function bound<T>(name: string): SQL<T> {
  return sql<T>`${sql.placeholder(name)}`
}
