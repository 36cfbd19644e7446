// `bun run dev [--runtime bun|deno|workers] [--procfile FILE]`: starts every process of the runtime's Procfile
// (or of FILE) with prefixed, coloured output, waits for each /healthz, and stops them all on Ctrl-C or SIGTERM.
// A small runner of our own rather than foreman or concurrently: neither waits for health checks nor fails the
// start when a process dies before it is ready, and we need both for `bun run dev` and the end-to-end tests.
//
// Procfile conventions: a line named after a service (gateway, order, …, collector) is ready when that service's
// /healthz answers; a `release` line is a one-off step, as on Heroku: the lines after it start once it has exited 0
// (the Workers' migrations); a `sqld` line is a local libSQL server per database, which the services then use.
// Commands can name every port: `$GATEWAY_PORT` … `$COLLECTOR_PORT`.
import { parseArgs } from 'node:util'
import { DEFAULT_PORTS, type ServiceName, servicePort } from '../shared/config.ts'
import { localSqldServers } from './databases.ts'
import { type ProcessEntry, parseProcfile } from './procfile.ts'

const { values } = parseArgs({ options: { runtime: { type: 'string', default: 'bun' }, procfile: { type: 'string' } } })
const procfiles: Record<string, string> = { bun: 'Procfile', deno: 'Procfile.deno', workers: 'Procfile.workers' }
const procfile = values.procfile ?? procfiles[values.runtime!]
if (!procfile) fail(`unknown runtime "${values.runtime}": use bun, deno or workers`)
const label = values.procfile ?? values.runtime!

const env: Record<string, string | undefined> = {
  DATA_DIR: './data',
  FAULTS: 'on',
  ...process.env,
  PATH: `${process.cwd()}/node_modules/.bin:${process.env.PATH}`,
  FORCE_COLOR: '1',
}
env.OTEL_EXPORTER_OTLP_ENDPOINT ??= `http://localhost:${servicePort(env, 'collector')}`
// The services' credential: a new one each start, known only to the processes started here.
env.SERVICE_TOKEN ??= Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url')
for (const name of Object.keys(DEFAULT_PORTS) as ServiceName[])
  env[`${name.toUpperCase()}_PORT`] = String(servicePort(env, name))

const entries = parseProcfile(await Bun.file(procfile).text())
if (entries.some((entry) => entry.name === 'sqld')) {
  for (const { name, url } of localSqldServers(env)) env[`${name.toUpperCase()}_DB_URL`] ??= url
}
const width = Math.max(...entries.map((entry) => entry.name.length))
const colours = [36, 33, 32, 35, 34, 91, 96]
/** Set once stopping has begun; settles never (the runner exits). */
let stopping: Promise<never> | undefined
const children: { entry: ProcessEntry; child: Bun.Subprocess<'ignore', 'pipe', 'pipe'> }[] = []

/** Each line runs in a process group of its own, so stopping it stops what it started (wrangler's workerd). */
function start(entry: ProcessEntry) {
  const prefix = `\x1b[${colours[entries.indexOf(entry) % colours.length]}m${entry.name.padEnd(width)} |\x1b[0m `
  const child = Bun.spawn(['sh', '-c', `exec ${entry.command}`], {
    env,
    stdout: 'pipe',
    stderr: 'pipe',
    detached: true,
  })
  // A write that fails (EPIPE) means our output is gone, as SIGPIPE below does.
  pipeLines(child.stdout, prefix, process.stdout).catch(() => stop(0))
  pipeLines(child.stderr, prefix, process.stderr).catch(() => stop(0))
  child.exited.then((code) => {
    if (stopping || (entry.name === 'release' && code === 0)) return
    log(`${entry.name} exited with code ${code}; stopping everything`)
    void stop(1)
  })
  children.push({ entry, child })
  return child
}

process.once('SIGINT', () => void stop(0))
process.once('SIGTERM', () => void stop(0))
// Our output is gone (the terminal closed, or a wrapper such as npx was stopped): stop the processes rather than
// die on the next write and leave them running.
process.on('SIGPIPE', () => void stop(0))

const release = entries.findIndex((entry) => entry.name === 'release')
if (release < 0) entries.forEach(start)
else {
  entries.slice(0, release).forEach(start)
  if ((await start(entries[release]!).exited) !== 0) await stop(1)
  entries.slice(release + 1).forEach(start)
}

await Promise.all(children.map(({ entry }) => waitUntilHealthy(entry)))
// A line that failed while the others were starting: never report ready.
if (stopping) await stopping
const url = (name: ServiceName) => `http://localhost:${servicePort(env, name)}`
log(`ready on ${label}: gateway ${url('gateway')}`)
log(`  curl ${url('gateway')}/api/products`)
if (entries.some((entry) => entry.name === 'collector'))
  log(`  traces: ${url('collector')}  (or bun run traces slow --min 100ms)`)
log('  Ctrl-C stops everything')

/** Waits for `GET /healthz` of processes named after a service; others (a database server) are just started. */
async function waitUntilHealthy(entry: ProcessEntry): Promise<void> {
  if (!(entry.name in DEFAULT_PORTS)) return
  const target = `http://127.0.0.1:${servicePort(env, entry.name as ServiceName)}/healthz`
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline && !stopping) {
    const ok = await fetch(target).then(
      (response) => response.ok,
      () => false,
    )
    if (ok) return log(`${entry.name} is healthy`)
    await Bun.sleep(100)
  }
  if (!stopping) {
    log(`${entry.name} did not answer ${target} within 60 s`)
    await stop(1)
  }
}

function stop(code: number): Promise<never> {
  stopping ??= (async () => {
    for (const { child } of children) signalGroup(child.pid, 'SIGTERM')
    const deadline = Date.now() + 5000
    while (Date.now() < deadline && children.some(({ child }) => signalGroup(child.pid, 0))) await Bun.sleep(50)
    for (const { child } of children) signalGroup(child.pid, 'SIGKILL')
    process.exit(code)
  })()
  return stopping
}

/** Signals every process of a line; false when none is left. */
function signalGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, signal)
    return true
  } catch {
    return false
  }
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

function fail(message: string): never {
  console.error(message)
  process.exit(2)
}
