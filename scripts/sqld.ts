// `bun scripts/sqld.ts`: a local libSQL server (sqld) per service database, data in `DATA_DIR/<service>.sqld`.
// Workers reach libSQL only over HTTP, so under `bun run dev --runtime workers` these stand in for Turso.
import { localSqldServers } from './databases.ts'

const dataDir = (process.env.DATA_DIR || './data').replace(/\/+$/, '')
const servers = localSqldServers(process.env).map(({ name, port }) =>
  Bun.spawn(
    ['sqld', '--no-welcome', '--db-path', `${dataDir}/${name}.sqld`, '--http-listen-addr', `127.0.0.1:${port}`],
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
