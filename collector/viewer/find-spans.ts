import type { CollectorDb } from '../store.ts'
import { turn } from '../turn.ts'
import { jsonRows } from './sql.ts'

/** Jaeger's find: whitespace-separated terms, case-insensitive; a span matches if any term is in any of its fields. */
export const findTerms = (text: string) => text.toLowerCase().split(/\s+/).filter(Boolean)

/** Spans a statement looks at. */
const SLICE = 2000

// What the trace page shows as text and the browser's find (`client/trace-find.ts`) searches: span id, service,
// operation, tags (the span's attributes and those the Jaeger shape derives), event names and fields, resource
// attributes. Fields are joined by spaces, which no term holds, so a term never matches across two fields.

/** A tag's value as the span details print it, `String(value)`: booleans read `true` and `false`. */
const TAG_TEXT = `lower((tag.value ->> '$.key') || ' ' || case tag.value ->> '$.type' when 'bool' then iif(tag.value ->> '$.value', 'true', 'false') else cast(tag.value ->> '$.value' as text) end)`

/**
 * Whether a list of tags (a JSON column) holds the term `?` in a key or value. The raw JSON is tested first: a
 * term not in it is in no tag, and most spans are ruled out without parsing.
 */
const tagsHold = (column: string) =>
  `(instr(lower(${column}), ?) > 0 and exists (select 1 from json_each(${column}) tag where instr(${TAG_TEXT}, ?) > 0))`

/** The span's own fields, and the tags the Jaeger shape derives (`derivedTags` in `jaeger.ts`). */
const OWN_FIELDS = `lower(span_id || ' ' || service_name || ' ' || name
  || iif(kind between 1 and 5, ' span.kind ' || (case kind when 1 then 'internal' when 2 then 'server' when 3 then 'client' when 4 then 'producer' else 'consumer' end), '')
  || (case status_code when 1 then ' otel.status_code ok' when 2 then ' otel.status_code error error true' else '' end)
  || iif(status_message != '', ' otel.status_description ' || status_message, '')
  || iif(scope_name != '', ' otel.scope.name ' || scope_name, '') || iif(scope_version != '', ' otel.scope.version ' || scope_version, '')
  || iif(trace_state != '', ' w3c.tracestate ' || trace_state, ''))`

/**
 * Ids of the spans of a trace that match any of the terms. `spanIds` (every span of the trace, in key order) cuts
 * the search into slices of the primary key, with a pause between them; matching resources are found once.
 */
export async function findSpans(
  db: CollectorDb,
  traceId: string,
  terms: string[],
  spanIds: string[],
): Promise<Set<string>> {
  const found = new Set<string>()
  if (terms.length === 0) return found
  const any = (test: string, perTerm: number) => ({
    sql: terms.map(() => test).join(' or '),
    args: terms.flatMap((term) => Array<string>(perTerm).fill(term)),
  })
  const resourceIds = await jsonRows<string>(
    db,
    `select json_quote(id) as row from resources where ${any(tagsHold('attributes'), 2).sql}`,
    any(tagsHold('attributes'), 2).args,
  )
  const own = any(`instr(${OWN_FIELDS}, ?) > 0 or ${tagsHold('attributes')}`, 3)
  const events = any(`instr(lower('event ' || name), ?) > 0 or ${tagsHold('attributes')}`, 3)
  for (let from = 0; from < spanIds.length; from += SLICE) {
    const range = [traceId, spanIds[from]!, spanIds[Math.min(spanIds.length, from + SLICE) - 1]!]
    const bySpan = await jsonRows<string>(
      db,
      `select json_quote(span_id) as row from spans where trace_id = ? and span_id between ? and ?
       and (${own.sql} or resource_id in (select value from json_each(?)))`,
      [...range, ...own.args, JSON.stringify(resourceIds)],
    )
    const byEvent = await jsonRows<string>(
      db,
      `select json_quote(span_id) as row from span_events where trace_id = ? and span_id between ? and ? and (${events.sql})`,
      [...range, ...events.args],
    )
    for (const id of [...bySpan, ...byEvent]) found.add(id)
    await turn()
  }
  return found
}
