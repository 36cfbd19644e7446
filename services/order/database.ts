import type { LibSQLDatabase } from 'drizzle-orm/libsql'
import type * as schema from './schema.ts'

/** The order service's database, typed by its drizzle schema. */
export type OrderDb = LibSQLDatabase<typeof schema>
