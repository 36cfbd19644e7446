import { count, desc, lt } from 'drizzle-orm'
import { spanEvents, spanLinks, spans } from './schema.ts'
import type { CollectorSettings } from './settings.ts'
import type { CollectorDb } from './store.ts'

const HOUR_MICROS = 3_600_000_000

/**
 * Keeps at most `maxSpans` spans, none older than `maxAgeHours` (by start time), pruning the oldest first.
 * Checked on write, after every 1% of `maxSpans` new spans or a minute, so a steady stream pays almost nothing.
 */
export function retention(
  db: CollectorDb,
  settings: Pick<CollectorSettings, 'maxSpans' | 'maxAgeHours'>,
  now = () => Date.now(),
) {
  let writtenSinceCheck = 0
  let lastCheck = 0
  const every = Math.max(1, Math.floor(settings.maxSpans / 100))

  async function pruneBefore(cutoff: number): Promise<void> {
    await db.batch([
      db.delete(spanEvents).where(lt(spanEvents.spanStartTime, cutoff)),
      db.delete(spanLinks).where(lt(spanLinks.spanStartTime, cutoff)),
      db.delete(spans).where(lt(spans.startTime, cutoff)),
    ])
  }

  async function prune(): Promise<void> {
    writtenSinceCheck = 0
    lastCheck = now()
    await pruneBefore(now() * 1000 - settings.maxAgeHours * HOUR_MICROS)
    const [{ stored } = { stored: 0 }] = await db.select({ stored: count() }).from(spans)
    if (stored <= settings.maxSpans) return
    // The start time of the oldest span that may stay (the maxSpans-th newest); everything that started before it goes.
    const [oldestKept] = await db
      .select({ startTime: spans.startTime })
      .from(spans)
      .orderBy(desc(spans.startTime))
      .limit(1)
      .offset(Math.max(0, settings.maxSpans - 1))
    if (oldestKept) await pruneBefore(oldestKept.startTime)
  }

  return {
    prune,
    /** Called after each committed write with the number of spans it held. */
    async afterWrite(written: number): Promise<void> {
      writtenSinceCheck += written
      if (writtenSinceCheck >= every || now() - lastCheck > 60_000) await prune()
    },
  }
}
