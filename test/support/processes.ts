import type { ServiceName } from '../../shared/config.ts'
import { freshEnvironment, placeOrder, repositoryRoot, waitUntil } from './environment.ts'

type ShopService = Exclude<ServiceName, 'collector'>
const services: ShopService[] = ['inventory', 'payment', 'order', 'gateway']

/**
 * The four services on Bun as separate processes, started directly rather than through the runner, so a test can
 * kill one (the runner would stop everything) and start it again on the same data.
 */
export async function startProcesses(env: Record<string, string> = {}) {
  const system = await freshEnvironment('processes')
  const children = new Map<ShopService, ReturnType<typeof Bun.spawn>>()
  const output: string[] = []

  async function start(name: ShopService) {
    const child = Bun.spawn([process.execPath, `services/${name}/bun.ts`], {
      cwd: repositoryRoot,
      env: { ...process.env, ...system.env, ...env },
      stdout: 'ignore',
      stderr: 'pipe',
    })
    void new Response(child.stderr as ReadableStream).text().then((text) => output.push(`${name}: ${text}`))
    children.set(name, child)
    const healthy = await waitUntil(
      () =>
        fetch(`http://127.0.0.1:${system.ports[name]}/healthz`).then(
          (response) => response.ok,
          () => false,
        ),
      30_000,
    )
    if (!healthy) throw new Error(`${name} did not start:\n${output.join('\n')}`)
  }

  async function stop() {
    for (const child of children.values()) child.kill('SIGTERM')
    await Promise.all([...children.values()].map((child) => child.exited))
  }

  try {
    for (const name of services) await start(name)
  } catch (error) {
    await stop()
    throw error
  }
  return {
    ...system,
    output,
    start,
    /** The process of `name`, e.g. to see how it ended. */
    process: (name: ShopService) => children.get(name)!,
    placeOrder: (body: unknown, headers?: Record<string, string>, signal?: AbortSignal) =>
      placeOrder(system.gateway, body, headers, signal),
    stop,
  }
}
