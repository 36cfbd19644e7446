import { freshEnvironment, placeOrder, repositoryRoot, waitUntil } from './environment.ts'

export type Runtime = 'bun' | 'deno' | 'workers'

/** Runtimes the end-to-end suite runs on: all by default, or those named in E2E_RUNTIMES (comma separated). */
export const runtimes: Runtime[] = (process.env.E2E_RUNTIMES ?? 'bun').split(',').map((name) => name.trim() as Runtime)

/**
 * Starts the whole system through `bun run dev --runtime <runtime>`, exactly as a developer does, on free ports
 * and a fresh data folder, exporting to `env.OTEL_EXPORTER_OTLP_ENDPOINT`.
 */
export async function startSystem(runtime: Runtime, env: Record<string, string> = {}) {
  const system = await freshEnvironment(runtime)
  const output: string[] = []
  const child = Bun.spawn([process.execPath, 'scripts/dev.ts', '--runtime', runtime], {
    cwd: repositoryRoot,
    env: { ...process.env, ...system.env, ...env },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  void collect(child.stdout, output)
  void collect(child.stderr, output)
  const ready = () => output.join('').includes('ready on')
  await waitUntil(() => ready() || child.exitCode !== null, 120_000)
  if (!ready()) {
    child.kill('SIGTERM')
    await child.exited
    throw new Error(`the system did not start on ${runtime}:\n${output.join('')}`)
  }
  return {
    ...system,
    output,
    placeOrder: (body: unknown, headers: Record<string, string> = {}) => placeOrder(system.gateway, body, headers),
    async stop() {
      child.kill('SIGTERM')
      await child.exited
    },
  }
}

export type RunningSystem = Awaited<ReturnType<typeof startSystem>>

async function collect(stream: ReadableStream<Uint8Array>, into: string[]) {
  const decoder = new TextDecoder()
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) into.push(decoder.decode(chunk, { stream: true }))
}
