import type { Client, LibsqlError } from '@libsql/client'
import { timeLeft } from '../shared/deadline.ts'
import { sleep } from '../shared/time.ts'

/** How long a statement keeps trying while another connection holds the write lock, as `busy_timeout` on a file. */
export const BUSY_TIMEOUT_MS = 5000
const FIRST_PAUSE_MS = 10
const LONGEST_PAUSE_MS = 250

/**
 * A libSQL server's client (sqld, Turso) that waits for the write lock as a file's connection does; a file's client
 * as it is (it has `busy_timeout`). A server waits only briefly for the lock, then answers SQLITE_BUSY; sqld holds it
 * while it checkpoints its WAL, most of a second after a minute of orders, and every write of that moment failed (a
 * 500 to the shopper). A statement, batch or migration that fails with SQLITE_BUSY did nothing (a batch is one
 * transaction, rolled back whole), so it is sent again after a pause that doubles, until BUSY_TIMEOUT_MS have passed
 * or the request's deadline has; then the error is the caller's. An interactive transaction is not retried: its
 * statements cannot be sent again one by one. Wrapped around the traced client, each attempt is a span of its own,
 * as each resend of an HTTP request is: a trace shows the attempts the lock refused, not one long statement.
 */
export function retryWhenBusy(client: Client): Client {
  if (client.protocol === 'file') return client
  const methods = new Map<PropertyKey, unknown>(
    (['execute', 'batch', 'migrate'] as const).map((name) => {
      const method = client[name] as (...args: unknown[]) => Promise<unknown>
      return [name, (...args: unknown[]) => whileBusy(() => method.apply(client, args))]
    }),
  )
  return new Proxy(client, {
    get(target, key) {
      // The client itself as `this`: its getters read private fields, which a Proxy does not have.
      const value = Reflect.get(target, key, target)
      if (typeof value !== 'function') return value
      if (!methods.has(key)) methods.set(key, value.bind(target))
      return methods.get(key)
    },
  })
}

async function whileBusy<T>(attempt: () => Promise<T>): Promise<T> {
  // Never past the request's deadline: its caller has given up by then and is undoing what the request began.
  const giveUpAt = Date.now() + Math.min(BUSY_TIMEOUT_MS, timeLeft() ?? BUSY_TIMEOUT_MS)
  for (let pause = FIRST_PAUSE_MS; ; pause = Math.min(pause * 2, LONGEST_PAUSE_MS)) {
    try {
      return await attempt()
    } catch (error) {
      if ((error as LibsqlError)?.code !== 'SQLITE_BUSY' || Date.now() + pause > giveUpAt) throw error
      // Jittered, so that the writes a checkpoint held up do not all come back at the same moment.
      await sleep(pause / 2 + Math.random() * (pause / 2))
    }
  }
}
