import { createClient } from '@libsql/client'
import { localSqldServers } from '../../scripts/databases.ts'
import { parseProcfile } from '../../scripts/procfile.ts'
import { freshEnvironment, placeOrder, repositoryRoot, waitUntil } from './environment.ts'

export type Runtime = 'bun' | 'deno' | 'workers'

/** Runtimes the end-to-end suite runs on: all by default, or those named in E2E_RUNTIMES (comma separated). */
export const runtimes: Runtime[] = (process.env.E2E_RUNTIMES ?? 'bun,deno,workers')
  .split(',')
  .map((name) => name.trim() as Runtime)

/**
 * Starts the whole system through `bun run dev --runtime <runtime>`, exactly as a developer does, on free ports
 * and a fresh data folder, exporting to `env.OTEL_EXPORTER_OTLP_ENDPOINT`.
 */
export function startSystem(runtime: Runtime, env: Record<string, string> = {}) {
  return startRunner(['--runtime', runtime], runtime, env, runtime === 'workers')
}

/** Starts the processes of a Procfile written for the test (e.g. each service on another runtime) through the runner. */
export async function startProcfile(procfile: string, env: Record<string, string> = {}) {
  const usesSqld = parseProcfile(await Bun.file(procfile).text()).some((entry) => entry.name === 'sqld')
  return startRunner(['--procfile', procfile], 'procfile', env, usesSqld)
}

/** `usesSqld`: the databases are the local sqld servers the runner started, not files in the data folder. */
async function startRunner(args: string[], label: string, env: Record<string, string>, usesSqld: boolean) {
  const system = await freshEnvironment(label)
  const output: string[] = []
  const child = Bun.spawn([process.execPath, 'scripts/dev.ts', ...args], {
    cwd: repositoryRoot,
    env: { ...process.env, ...system.env, ...env },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  void collect(child.stdout, output)
  void collect(child.stderr, output)
  const started = () => output.join('').includes('ready on') || child.exitCode !== null
  if (!(await waitUntil(started, 120_000)) || child.exitCode !== null) {
    child.kill('SIGTERM')
    await child.exited
    throw new Error(`the system did not start (${args.join(' ')}):\n${output.join('')}`)
  }
  const sqld = new Map(localSqldServers(system.env).map(({ name, url }) => [name, url]))
  return {
    ...system,
    output,
    database: (name: 'order' | 'inventory' | 'payment') =>
      usesSqld ? createClient({ url: sqld.get(name)! }) : system.database(name),
    placeOrder: (body: unknown, headers?: Record<string, string>) => placeOrder(system.gateway, body, headers),
    async stop() {
      child.kill('SIGTERM')
      await child.exited
    },
  }
}

export type RunningSystem = Awaited<ReturnType<typeof startSystem>>

async function collect(stream: ReadableStream<Uint8Array>, into: string[]) {
  const decoder = new TextDecoder()
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>)
    into.push(decoder.decode(chunk, { stream: true }))
}
