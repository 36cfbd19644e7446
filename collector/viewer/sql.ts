import type { CollectorDb } from '../store.ts'

/**
 * Whether a row of `spans` (under the name `table`, when given) failed, as the trees see it: status ERROR, or an
 * `error` attribute that is true. The `instr` test skips parsing the attributes of spans with no `error` key.
 */
export const failedSql = (table?: string) => {
  const column = (name: string) => (table ? `${table}.${name}` : name)
  return `(${column('status_code')} = 2 or (instr(${column('attributes')}, '"key":"error"') > 0 and exists (select 1 from json_each(${column('attributes')}) tag where tag.value ->> '$.key' = 'error' and json_type(tag.value, '$.value') = 'true')))`
}

export const FAILED_SQL = failedSql()

/**
 * One statement's rows as a single JSON array: SQLite builds it and `JSON.parse` reads it, several times faster than
 * the client making an object of each row (50k spans: about 0.1 s against 0.4 s). `sql` selects one column, `row`,
 * of JSON text (`json_array(…)`, `json_quote(…)`, a number), joined as it is rather than parsed again.
 */
export async function jsonRows<T>(db: CollectorDb, sql: string, args: (string | number)[]): Promise<T[]> {
  const result = await db.$client.execute({
    sql: `select '[' || coalesce(group_concat(row, ','), '') || ']' as rows from (${sql})`,
    args,
  })
  return JSON.parse(String(result.rows[0]?.rows ?? '[]')) as T[]
}
