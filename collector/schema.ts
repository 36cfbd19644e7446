import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core'
import type { Tag } from './model.ts'

/** Times are microseconds since the epoch and durations microseconds, as the Jaeger API shows them. */
export const spans = sqliteTable(
  'spans',
  {
    traceId: text('trace_id').notNull(),
    spanId: text('span_id').notNull(),
    parentSpanId: text('parent_span_id'),
    serviceName: text('service_name').notNull(),
    name: text('name').notNull(),
    kind: integer('kind').notNull(),
    startTime: integer('start_time').notNull(),
    duration: integer('duration').notNull(),
    statusCode: integer('status_code').notNull(),
    statusMessage: text('status_message').notNull(),
    traceState: text('trace_state').notNull(),
    flags: integer('flags').notNull(),
    attributes: text('attributes', { mode: 'json' }).$type<Tag[]>().notNull(),
    droppedAttributesCount: integer('dropped_attributes_count').notNull(),
    droppedEventsCount: integer('dropped_events_count').notNull(),
    droppedLinksCount: integer('dropped_links_count').notNull(),
    resourceId: text('resource_id').notNull(),
    scopeName: text('scope_name').notNull(),
    scopeVersion: text('scope_version').notNull(),
  },
  // The key stores a span sent twice once and finds a trace's spans. Searches walk service + start time newest first,
  // or start time alone without a service (retention and dependencies walk that one too); both carry the duration, so
  // a duration condition is checked on the index entry and a span's row is read only when it matches. An index is kept
  // only if a query needs it, as each costs every span written, most of all one whose entries land at random: one on
  // service + duration put each span where its duration fell, which says nothing of when it came, so nearly every
  // span dirtied a page of its own. It was a quarter of the collector's CPU under the shop's load
  // (docs/benchmarks.md), and served only searches without a time range, which Jaeger UI and Grafana never send.
  (table) => [
    primaryKey({ columns: [table.traceId, table.spanId] }),
    index('spans_service_start').on(table.serviceName, table.startTime, table.duration),
    index('spans_start').on(table.startTime, table.duration),
  ],
)

/** Events and links keep their span's start time so retention can prune them with the span. */
export const spanEvents = sqliteTable(
  'span_events',
  {
    traceId: text('trace_id').notNull(),
    spanId: text('span_id').notNull(),
    position: integer('position').notNull(),
    spanStartTime: integer('span_start_time').notNull(),
    time: integer('time').notNull(),
    name: text('name').notNull(),
    attributes: text('attributes', { mode: 'json' }).$type<Tag[]>().notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.traceId, table.spanId, table.position] }),
    index('span_events_start').on(table.spanStartTime),
  ],
)

export const spanLinks = sqliteTable(
  'span_links',
  {
    traceId: text('trace_id').notNull(),
    spanId: text('span_id').notNull(),
    position: integer('position').notNull(),
    spanStartTime: integer('span_start_time').notNull(),
    linkedTraceId: text('linked_trace_id').notNull(),
    linkedSpanId: text('linked_span_id').notNull(),
    traceState: text('trace_state').notNull(),
    attributes: text('attributes', { mode: 'json' }).$type<Tag[]>().notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.traceId, table.spanId, table.position] }),
    index('span_links_start').on(table.spanStartTime),
  ],
)

/** One row per distinct resource (service and its attributes), keyed by a hash of its content. */
export const resources = sqliteTable('resources', {
  id: text('id').primaryKey(),
  serviceName: text('service_name').notNull(),
  attributes: text('attributes', { mode: 'json' }).$type<Tag[]>().notNull(),
})

/** Services and their operations, kept apart so listing them never scans the spans. */
export const operations = sqliteTable(
  'operations',
  {
    serviceName: text('service_name').notNull(),
    name: text('name').notNull(),
    kind: integer('kind').notNull(),
  },
  (table) => [primaryKey({ columns: [table.serviceName, table.name, table.kind] })],
)
