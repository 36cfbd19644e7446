// `bun run dev [--runtime bun|deno|workers]`: starts every process of the runtime's Procfile with prefixed,
// coloured output, waits for each /healthz, and stops them all on Ctrl-C or SIGTERM.
// A small runner of our own rather than foreman or concurrently: neither waits for health checks nor fails the
// start when a process dies before it is ready, and we need both for `bun run dev` and the end-to-end tests.
import { parseArgs } from 'node:util'
import { DEFAULT_PORTS, type ServiceName, servicePort } from '../shared/config.ts'
import { parseProcfile, type ProcessEntry } from './procfile.ts'

const { values } = parseArgs({ options: { runtime: { type: 'string', default: 'bun' } } })
const runtime = values.runtime!
const procfiles: Record<string, string> = { bun: 'Procfile', deno: 'Procfile.deno', workers: 'Procfile.workers' }
if (!procfiles[runtime]) fail(`unknown runtime "${runtime}": use bun, deno or workers`)

const env: Record<string, string | undefined> = {
  DATA_DIR: './data',
  FAULTS: 'on',
  ...process.env,
  PATH: `${process.cwd()}/node_modules/.bin:${process.env.PATH}`,
  FORCE_COLOR: '1',
}
env.OTEL_EXPORTER_OTLP_ENDPOINT ??= `http://localhost:${servicePort(env, 'collector')}`

const entries = parseProcfile(await Bun.file(procfiles[runtime]!).text())
const width = Math.max(...entries.map((entry) => entry.name.length))
const colours = [36, 33, 32, 35, 34, 91, 96]
let stopping = false

const children = entries.map((entry, index) => {
  const prefix = `\x1b[${colours[index % colours.length]}m${entry.name.padEnd(width)} |\x1b[0m `
  const child = Bun.spawn(['sh', '-c', `exec ${entry.command}`], { env, stdout: 'pipe', stderr: 'pipe' })
  void pipeLines(child.stdout, prefix, process.stdout)
  void pipeLines(child.stderr, prefix, process.stderr)
  child.exited.then((code) => {
    if (stopping) return
    log(`${entry.name} exited with code ${code}; stopping everything`)
    void stop(1)
  })
  return { entry, child }
})

process.once('SIGINT', () => void stop(0))
process.once('SIGTERM', () => void stop(0))

await Promise.all(children.map(({ entry }) => waitUntilHealthy(entry)))
const url = (name: ServiceName) => `http://localhost:${servicePort(env, name)}`
log(`ready on ${runtime}: gateway ${url('gateway')}`)
log(`  curl ${url('gateway')}/api/products`)
if (entries.some((entry) => entry.name === 'collector')) log(`  traces: ${url('collector')}  (or bun run traces slow --min 100ms)`)
log('  Ctrl-C stops everything')

/** Waits for `GET /healthz` of processes named after a service; others (a database server) are just started. */
async function waitUntilHealthy(entry: ProcessEntry): Promise<void> {
  if (!(entry.name in DEFAULT_PORTS)) return
  const target = `http://127.0.0.1:${servicePort(env, entry.name as ServiceName)}/healthz`
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline && !stopping) {
    const ok = await fetch(target).then((response) => response.ok, () => false)
    if (ok) return log(`${entry.name} is healthy`)
    await Bun.sleep(100)
  }
  if (!stopping) {
    log(`${entry.name} did not answer ${target} within 60 s`)
    await stop(1)
  }
}

async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true
    for (const { child } of children) child.kill('SIGTERM')
    const forced = setTimeout(() => children.forEach(({ child }) => child.kill('SIGKILL')), 5000)
    await Promise.all(children.map(({ child }) => child.exited))
    clearTimeout(forced)
  }
  process.exit(code)
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
