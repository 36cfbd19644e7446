import type { Client } from '@libsql/client'
import type { LibSQLDatabase } from 'drizzle-orm/libsql'
import type * as schema from './schema.ts'

/** The order service's database, typed by its drizzle schema, with its libSQL client (`batchOf` runs on it). */
export type OrderDb = LibSQLDatabase<typeof schema> & { $client: Client }
