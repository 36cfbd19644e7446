import { groupCommit } from './group-commit.ts'
import type { SpanRecord } from './model.ts'
import { retention } from './retention.ts'
import type { CollectorSettings } from './settings.ts'
import { type CollectorDb, insertSpans } from './store.ts'

/** Where the receiver hands decoded spans: group-committed to the database, then pruned to the retention limits. */
export type SpanWriter = (spans: SpanRecord[]) => Promise<void>

export function createSpanWriter(db: CollectorDb, settings: CollectorSettings): SpanWriter {
  const limits = retention(db, settings)
  return groupCommit<SpanRecord>(async (spans) => {
    await insertSpans(db, spans)
    await limits.afterWrite(spans.length)
  })
}
