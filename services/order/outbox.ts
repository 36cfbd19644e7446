import type { Tracer } from '@opentelemetry/api'
import { and, asc, eq, isNull, lte, or, sql } from 'drizzle-orm'
import { bound } from '../../shared/prepared.ts'
import type { Fetch } from '../../shared/telemetry/fetch.ts'
import { spanContextOf, traceparentOf } from '../../shared/telemetry/propagation.ts'
import { inSpan } from '../../shared/telemetry/span.ts'
import type { OrderDb } from './database.ts'
import { type NotificationKind, outbox } from './schema.ts'

/** What the delivery loop sends: the receiver de-duplicates on `id` (also sent as `Idempotency-Key`). */
export interface Notification {
  id: string
  kind: NotificationKind
  orderId: string
  createdAt: string
  order: unknown
}

/** Where notifications go; a rejection leaves the notification for the next run. */
export type NotificationSink = (notification: Notification) => Promise<void>

/** POSTs each notification as JSON to `url`; anything but a 2xx answer is a failed attempt. */
export function webhookSink(url: string, fetch: Fetch, timeoutMs: number): NotificationSink {
  return async (notification) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': notification.id },
      body: JSON.stringify(notification),
      signal: AbortSignal.timeout(timeoutMs),
    })
    await response.body?.cancel()
    if (!response.ok) throw new Error(`webhook answered ${response.status}`)
  }
}

/** One console line per notification: the sink when no webhook is configured. */
export const logSink: NotificationSink = async (notification) => {
  console.log(`notification ${notification.kind} order=${notification.orderId} id=${notification.id}`)
}

/** How many notifications one delivery run sends at most, oldest first. */
const DELIVERY_BATCH = 50

/** Wait after the n-th failed attempt: 1 s, 2 s, 4 s … at most 5 minutes. */
export const retryDelayMs = (attempts: number) => Math.min(1000 * 2 ** Math.max(0, attempts - 1), 5 * 60_000)

/**
 * The transactional outbox of the order service: `record` is a statement to put in the same batch as an order's
 * status change; `deliver` sends what is not delivered yet, at least once.
 */
export class Outbox {
  private readonly statements: ReturnType<typeof preparedStatements>

  constructor(private readonly deps: { db: OrderDb; tracer: Tracer; sink: NotificationSink }) {
    this.statements = preparedStatements(deps.db)
  }

  /**
   * The statement, with its values, that records the notification of `kind` for the order, with the active span's
   * `traceparent`. It goes into a batch (`batchOf`) right after the status change it announces, and inserts only if
   * that change touched a row (SQLite's `changes()`): an order another writer settled first announces nothing here.
   */
  recordIfChanged(orderId: string, kind: NotificationKind, order: unknown) {
    const values = {
      id: crypto.randomUUID(),
      orderId,
      kind,
      payload: JSON.stringify(order),
      traceparent: traceparentOf() ?? null,
      createdAt: Date.now(),
    }
    return [this.statements.record, values] as const
  }

  /**
   * Sends the notifications that are due, oldest first, each in a span `outbox.deliver` (a trace of its own, linked
   * to the span that changed the order's status). Marked delivered only after the sink accepted it: a crash in
   * between sends it again, which the receiver's idempotency key absorbs. A failed one waits longer after each
   * attempt (`retryDelayMs`), so notifications the receiver refuses do not hold back the others. Returns how many
   * were delivered.
   */
  async deliver(now = new Date()): Promise<number> {
    const { db, tracer, sink } = this.deps
    const pending = await this.statements.due.all({ now: now.getTime() })
    let delivered = 0
    for (const row of pending) {
      const order = spanContextOf(row.traceparent)
      const attributes = {
        'notification.id': row.id,
        'notification.kind': row.kind,
        'order.id': row.orderId,
        'notification.attempt': row.attempts + 1,
      }
      await inSpan(
        tracer,
        'outbox.deliver',
        { root: true, attributes, links: order ? [{ context: order }] : [] },
        async () => {
          try {
            await sink({
              id: row.id,
              kind: row.kind,
              orderId: row.orderId,
              createdAt: row.createdAt.toISOString(),
              order: row.payload,
            })
          } catch (error) {
            await db
              .update(outbox)
              .set({
                attempts: sql`${outbox.attempts} + 1`,
                lastError: (error as Error)?.message ?? String(error),
                nextAttemptAt: new Date(now.getTime() + retryDelayMs(row.attempts + 1)),
              })
              .where(eq(outbox.id, row.id))
            throw error
          }
          await this.statements.delivered.run({ id: row.id, deliveredAt: Date.now() })
          delivered++
        },
      ).catch(() => {
        // Recorded on the span and the row; the next run tries again.
      })
    }
    return delivered
  }
}

/** The statements of every notification, built once (see shared/prepared.ts). */
function preparedStatements(db: OrderDb) {
  const param = sql.placeholder
  return {
    /** A notification, only if the statement before it in its batch changed a row; never twice. */
    record: db
      .run(sql`
        insert into ${outbox} (id, order_id, kind, payload, traceparent, created_at)
        select ${param('id')}, ${param('orderId')}, ${param('kind')}, ${param('payload')}, ${param('traceparent')}, ${param('createdAt')}
        where changes() > 0
        on conflict do nothing`)
      .getQuery(),
    /** The notifications due at `now` (ms), oldest first. */
    due: db
      .select()
      .from(outbox)
      .where(and(isNull(outbox.deliveredAt), or(isNull(outbox.nextAttemptAt), lte(outbox.nextAttemptAt, param('now')))))
      .orderBy(asc(outbox.createdAt))
      .limit(DELIVERY_BATCH)
      .prepare(),
    /** A notification the sink accepted. */
    delivered: db
      .update(outbox)
      .set({ deliveredAt: bound<number>('deliveredAt'), attempts: sql`${outbox.attempts} + 1`, lastError: null })
      .where(and(eq(outbox.id, param('id')), isNull(outbox.deliveredAt)))
      .prepare(),
  }
}
