import { type Client, type Config, createClient, type LibsqlError } from '@libsql/client'
import { sleep } from '../shared/time.ts'

/** How long a statement keeps trying while another connection holds the write lock, as `busy_timeout` on a file. */
export const BUSY_TIMEOUT_MS = 5000
const FIRST_PAUSE_MS = 10
const LONGEST_PAUSE_MS = 250

/**
 * A libSQL client over the network (sqld, Turso) that waits for the write lock as a file's connection does. A server
 * waits only briefly for it, then answers SQLITE_BUSY; sqld holds it while it checkpoints its WAL, most of a second
 * after a minute of orders, and every write of that moment failed (a 500 to the shopper). A statement or batch that
 * fails with SQLITE_BUSY did nothing (a batch is one transaction, rolled back whole), so it is sent again after a
 * pause that doubles, until BUSY_TIMEOUT_MS have passed; then the error is the caller's.
 */
export function createRemoteClient(config: Config): Client {
  const client = createClient(config)
  const methods = new Map<PropertyKey, unknown>([
    ['execute', (...args: unknown[]) => whileBusy(() => (client.execute as Method)(...args))],
    ['batch', (...args: unknown[]) => whileBusy(() => (client.batch as Method)(...args))],
  ])
  return new Proxy(client, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver)
      if (typeof value !== 'function') return value
      if (!methods.has(key)) methods.set(key, value.bind(target))
      return methods.get(key)
    },
  })
}

type Method = (...args: unknown[]) => Promise<unknown>

async function whileBusy<T>(attempt: () => Promise<T>): Promise<T> {
  const giveUpAt = Date.now() + BUSY_TIMEOUT_MS
  for (let pause = FIRST_PAUSE_MS; ; pause = Math.min(pause * 2, LONGEST_PAUSE_MS)) {
    try {
      return await attempt()
    } catch (error) {
      if ((error as LibsqlError)?.code !== 'SQLITE_BUSY' || Date.now() + pause > giveUpAt) throw error
      await sleep(pause)
    }
  }
}
