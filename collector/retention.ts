import type { InStatement, InValue } from '@libsql/client'
import type { CollectorSettings } from './settings.ts'
import type { CollectorDb } from './store.ts'

const HOUR_MICROS = 3_600_000_000
const MINUTE_MS = 60_000

/** What retention needs of a database: the libSQL client's (`clientSql`) or the ingest worker's own connection. */
export interface RetentionSql {
  /** The first column of the first row, or undefined when there is none. */
  value(sql: string, args?: InValue[]): Promise<number | undefined>
  /** Runs the statements in one write transaction and says how many rows each changed. */
  write(statements: InStatement[]): Promise<number[]>
}

export function clientSql(db: CollectorDb): RetentionSql {
  return {
    async value(sql, args = []) {
      const { rows } = await db.$client.execute({ sql, args })
      const value = rows[0]?.[0]
      return value === undefined || value === null ? undefined : Number(value)
    },
    async write(statements) {
      return (await db.$client.batch(statements, 'write')).map((result) => result.rowsAffected)
    },
  }
}

/**
 * Keeps at most `maxSpans` spans, none older than `maxAgeHours` (by start time), pruning the oldest first; events
 * and links go with their span. Checked after every 1% of `maxSpans` new spans and after a minute. Only the minute's
 * check counts the spans (`count(*)` reads a whole index); in between the count is kept from what each write added
 * and each prune removed, so a steady stream pays almost nothing, and over the limit only the excess is walked.
 */
export function retention(
  sql: RetentionSql,
  settings: Pick<CollectorSettings, 'maxSpans' | 'maxAgeHours'>,
  now = () => Date.now(),
) {
  let writtenSinceCheck = 0
  let lastCheck = 0
  let stored: number | undefined
  const every = Math.max(1, Math.floor(settings.maxSpans / 100))

  async function pruneBefore(cutoff: number): Promise<void> {
    const [, , spans = 0] = await sql.write([
      { sql: 'delete from span_events where span_start_time < ?', args: [cutoff] },
      { sql: 'delete from span_links where span_start_time < ?', args: [cutoff] },
      { sql: 'delete from spans where start_time < ?', args: [cutoff] },
    ])
    if (stored !== undefined) stored -= spans
  }

  async function prune(recount: boolean): Promise<void> {
    writtenSinceCheck = 0
    lastCheck = now()
    await pruneBefore(now() * 1000 - settings.maxAgeHours * HOUR_MICROS)
    if (recount || stored === undefined) stored = (await sql.value('select count(*) from spans')) ?? 0
    if (stored <= settings.maxSpans) return
    // The start time of the oldest span that may stay (the maxSpans-th newest); everything that started before it goes.
    const oldestKept = await sql.value('select start_time from spans order by start_time limit 1 offset ?', [
      stored - settings.maxSpans,
    ])
    if (oldestKept !== undefined) await pruneBefore(oldestKept)
  }

  return {
    /** Prunes now, counting the spans first. */
    prune: () => prune(true),
    /** Called after each committed write with the number of spans it added. */
    async afterWrite(added: number): Promise<void> {
      if (stored !== undefined) stored += added
      writtenSinceCheck += added
      const minutePassed = now() - lastCheck > MINUTE_MS
      if (writtenSinceCheck >= every || minutePassed) await prune(minutePassed)
    },
  }
}
