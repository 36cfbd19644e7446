// `bun run dev`: starts every process of the runtime's Procfile with prefixed, coloured output, waits for each
// /healthz, restarts a service that dies once the shop was up, and stops them all however the runner itself is
// stopped. A small runner of our own rather than foreman or concurrently: neither waits for health checks, fails
// the start when a process dies before it is ready, or guarantees that nothing outlives it, and we need all three
// for `bun run dev` and the end-to-end tests.
//
// Procfile conventions: a line named after a service (gateway, order, …, collector) is ready when that service's
// /healthz answers; a `release` line is a one-off step, as on Heroku: the lines after it start once it has exited 0
// (the Workers' migrations); a `sqld` line is a local libSQL server per database, which the services then use.
// Commands can name every port: `$GATEWAY_PORT` … `$COLLECTOR_PORT`.
import { DEFAULT_PORTS, type ServiceName, servicePort } from '../shared/config.ts'
import { type CommandSpec, parseCommandLine, readCommandLine, UsageError } from './cli.ts'
import { localSqldServers } from './databases.ts'
import { busyPorts } from './ports.ts'
import { signalGroup } from './process-group.ts'
import { type ProcessEntry, parseProcfile } from './procfile.ts'
import { watchAncestors } from './watch-ancestors.ts'

const procfiles: Record<string, string> = { bun: 'Procfile', deno: 'Procfile.deno', workers: 'Procfile.workers' }

const DEV_COMMAND = {
  name: 'dev',
  summary:
    'Starts the shop (gateway, order, inventory, payment) and the trace collector, waits until each answers ' +
    '/healthz, then prints where to go. Ctrl-C (or SIGTERM, or closing the terminal) stops everything it started.',
  options: {
    runtime: { type: 'string', value: 'bun|deno|workers', default: 'bun', description: 'which Procfile to start' },
    procfile: { type: 'string', value: 'FILE', description: 'start the processes of FILE (name: command per line)' },
    'no-restart': {
      type: 'boolean',
      description:
        'a process that dies stops everything (CI); by default a service that dies once the shop is up is restarted, 5 times at most',
    },
  },
  examples: ['bun run dev', 'bun run dev --runtime deno', 'bun run dev --runtime workers --no-restart'],
} as const satisfies CommandSpec

const { values } = readCommandLine(DEV_COMMAND, (argv) => {
  const line = parseCommandLine(DEV_COMMAND, argv)
  if (!line.values.procfile && !(line.values.runtime in procfiles)) {
    throw new UsageError(`unknown runtime ${line.values.runtime}: use bun, deno or workers`)
  }
  return line
})
const procfile = values.procfile ?? procfiles[values.runtime]!
const label = values.procfile ?? values.runtime

const env: Record<string, string | undefined> = {
  DATA_DIR: './data',
  FAULTS: 'on',
  ...process.env,
  PATH: `${process.cwd()}/node_modules/.bin:${process.env.PATH}`,
  FORCE_COLOR: '1',
}
// With faults on, whoever reaches the gateway can make the order service kill itself (`fault.order=crash:…`): the
// gateway then listens on loopback only, as the Workers' does, unless a host is asked for.
if (env.FAULTS === 'on' && !env.GATEWAY_HOST && !env.HOST) env.GATEWAY_HOST = '127.0.0.1'
env.OTEL_EXPORTER_OTLP_ENDPOINT ??= `http://localhost:${servicePort(env, 'collector')}`
// The services' credential: a new one each start, known only to the processes started here.
env.SERVICE_TOKEN ??= Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url')
for (const name of Object.keys(DEFAULT_PORTS) as ServiceName[])
  env[`${name.toUpperCase()}_PORT`] = String(servicePort(env, name))

const entries = parseProcfile(await Bun.file(procfile).text())
const sqld = entries.some((entry) => entry.name === 'sqld') ? localSqldServers(env) : []
for (const { name, url } of sqld) env[`${name.toUpperCase()}_DB_URL`] ??= url

// Every port a line will listen on must be free: a health check must never reach a process started by someone else.
const ports = [
  ...entries
    .filter((entry) => entry.name in DEFAULT_PORTS)
    .map((entry) => ({
      port: servicePort(env, entry.name as ServiceName),
      what: `${entry.name.toUpperCase()}_PORT, for ${entry.name}`,
    })),
  ...sqld.map(({ name, port }) => ({ port, what: `SQLD_PORT+, for ${name}'s sqld` })),
]
const busy = await busyPorts(ports)
for (const { port, what, holder } of busy) {
  log(`port ${port} (${what}) is in use${holder ? ` by ${holder}` : ''}: stop it, or choose another port`)
}
if (busy.length > 0) process.exit(1)

const MAX_RESTARTS = 5
const width = Math.max(...entries.map((entry) => entry.name.length))
const colours = [36, 33, 32, 35, 34, 91, 96]

/** A running line: the guard process that runs it (see scripts/guard.ts), and how often it was restarted. */
interface Line {
  entry: ProcessEntry
  guard: Bun.Subprocess<'pipe', 'pipe', 'pipe'>
  restarts: number
}
const lines = new Map<string, Line>()
/** Set once stopping has begun; settles never (the runner exits). */
let stopping: Promise<never> | undefined
let ready = false

/**
 * Starts a line under a guard whose standard input is a pipe from this runner: when the runner ends, however, the
 * pipe closes and the guard stops the line's whole process group. Guards stay in the runner's process group, so a
 * terminal's Ctrl-C reaches them too.
 */
function start(entry: ProcessEntry, restarts = 0) {
  const prefix = `\x1b[${colours[entries.indexOf(entry) % colours.length]}m${entry.name.padEnd(width)} |\x1b[0m `
  const guard = Bun.spawn([process.execPath, 'scripts/guard.ts', entry.command], {
    env,
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: 'pipe',
  })
  // A write that fails (EPIPE) means our output is gone, as SIGPIPE below does.
  pipeLines(guard.stdout, prefix, process.stdout).catch(() => stop(0))
  pipeLines(guard.stderr, prefix, process.stderr).catch(() => stop(0))
  guard.exited.then((code) => onExit(entry, code, guard.signalCode !== null))
  lines.set(entry.name, { entry, guard, restarts })
  return guard
}

/** A line ended: fine for a release step; before the shop is up, the start fails; after, the line comes back. */
function onExit(entry: ProcessEntry, code: number, signalled: boolean) {
  if (stopping || (entry.name === 'release' && code === 0)) return
  // The guard itself was stopped by a signal (Ctrl-C reaches the whole group, often before this runner sees its own
  // SIGINT): the user is stopping the shop, not a service crashing.
  if (signalled) {
    void stop(0)
    return
  }
  const restarts = lines.get(entry.name)?.restarts ?? 0
  if (!ready || values['no-restart'] || entry.name === 'release' || restarts >= MAX_RESTARTS) {
    const why = !ready ? 'before the shop was up' : restarts >= MAX_RESTARTS ? `after ${restarts} restarts` : ''
    log(`${entry.name} exited with code ${code} ${why}; stopping everything`.replace(/ +;/, ';'))
    void stop(1)
    return
  }
  const pauseMs = 500 * 2 ** restarts
  log(
    `${entry.name} exited with code ${code}; restarting it in ${pauseMs} ms (restart ${restarts + 1} of ${MAX_RESTARTS})`,
  )
  setTimeout(async () => {
    if (stopping) return
    start(entry, restarts + 1)
    if (await waitUntilHealthy(entry)) log(`${entry.name} is back`)
  }, pauseMs)
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => void stop(0))
// Our output is gone (the terminal closed, or a wrapper such as npx was stopped): stop the processes rather than
// die on the next write and leave them running.
process.on('SIGPIPE', () => void stop(0))
// A wrapper that started us (npx, bun run, timeout, the shell) went away without passing its signal on.
watchAncestors((pid) => {
  log(`the process that started this runner (pid ${pid}) has gone; stopping everything`)
  void stop(0)
})

const release = entries.findIndex((entry) => entry.name === 'release')
for (const entry of release < 0 ? entries : entries.slice(0, release)) start(entry)
if (release >= 0) {
  if ((await start(entries[release]!).exited) !== 0) await stop(1)
  for (const entry of entries.slice(release + 1)) start(entry)
}

const healthy = await Promise.all(entries.filter((entry) => entry.name !== 'release').map(waitUntilHealthy))
// A line that failed while the others were starting: never report ready.
if (stopping) await stopping
if (!healthy.every(Boolean)) await stop(1)
ready = true
const url = (name: ServiceName) => `http://localhost:${servicePort(env, name)}`
log(`ready on ${label}: gateway ${url('gateway')}`)
log(`  curl ${url('gateway')}/api/products`)
if (entries.some((entry) => entry.name === 'collector'))
  log(`  traces: ${url('collector')}  (or bun run traces slow --min 100ms)`)
log('  Ctrl-C stops everything')

/** Waits for `GET /healthz` of a line named after a service (others, a database server, are just started). */
async function waitUntilHealthy(entry: ProcessEntry): Promise<boolean> {
  if (!(entry.name in DEFAULT_PORTS)) return true
  const target = `http://127.0.0.1:${servicePort(env, entry.name as ServiceName)}/healthz`
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline && !stopping) {
    const ok = await fetch(target).then(
      (response) => response.ok,
      () => false,
    )
    if (ok) {
      if (!ready) log(`${entry.name} is healthy`)
      return true
    }
    await Bun.sleep(100)
  }
  if (!stopping) log(`${entry.name} did not answer ${target} within 60 s`)
  return false
}

/** Closes every guard's pipe (each then stops its line's group), waits for them, and exits. */
function stop(code: number): Promise<never> {
  stopping ??= (async () => {
    const guards = [...lines.values()].map((line) => line.guard)
    for (const guard of guards) {
      void guard.stdin.end()
      guard.kill('SIGTERM')
    }
    const gone = Promise.all(guards.map((guard) => guard.exited))
    // A guard waits up to 5 s for its line, then kills it; one that still lingers is killed with its group.
    if (!(await Promise.race([gone.then(() => true), Bun.sleep(8000).then(() => false)]))) {
      for (const guard of guards) signalGroup(guard.pid, 'SIGKILL')
    }
    process.exit(code)
  })()
  return stopping
}

async function pipeLines(stream: ReadableStream<Uint8Array>, prefix: string, out: NodeJS.WriteStream) {
  const decoder = new TextDecoder()
  let pending = ''
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) {
    const lines = (pending + decoder.decode(chunk, { stream: true })).split('\n')
    pending = lines.pop()!
    for (const line of lines) out.write(`${prefix}${line}\n`)
  }
  if (pending) out.write(`${prefix}${pending}\n`)
}

function log(message: string): void {
  console.log(`\x1b[1mdev\x1b[0m ${message}`)
}
