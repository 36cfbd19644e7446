import { describe, expect, setDefaultTimeout, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { freshEnvironment, placeOrder, repositoryRoot, waitUntil } from '../support/environment.ts'
import { processesOf } from '../support/process-tree.ts'
import { runtimes } from '../support/system.ts'

// Each test starts a whole system through the runner and stops it with a real signal.
setDefaultTimeout(90_000)

/**
 * Starts `bun run dev` the way a user does, as the leader of a process group of its own (what a terminal gives a
 * foreground job), optionally under a wrapper (`npx`, `timeout`).
 */
async function launch(options: { wrapper?: string[]; args?: string[]; env?: Record<string, string> } = {}) {
  const system = await freshEnvironment('runner')
  const output: string[] = []
  const child = Bun.spawn([...(options.wrapper ?? []), process.execPath, 'run', 'dev', ...(options.args ?? [])], {
    cwd: repositoryRoot,
    env: { ...process.env, ...system.env, ...options.env },
    stdout: 'pipe',
    stderr: 'pipe',
    detached: true,
  })
  for (const stream of [child.stdout, child.stderr]) {
    void (async () => {
      const decoder = new TextDecoder()
      for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) output.push(decoder.decode(chunk))
    })()
  }
  const said = (text: string) => output.join('').includes(text)
  const processes = () => processesOf(system.dataDir)
  return {
    ...system,
    child,
    output,
    said,
    processes,
    /** Waits until the runner says the shop is ready. */
    async ready() {
      expect(await waitUntil(() => said('ready on') || child.exitCode !== null, 60_000)).toBe(true)
      expect(said('ready on')).toBe(true)
    },
    /** The runner itself (`bun scripts/dev.ts`), below whatever wrappers started it. */
    runner: () => processes().find((process) => process.command.includes('scripts/dev.ts'))!,
    service: (name: string) =>
      processes().find(
        (process) => process.command.includes(`services/${name}/`) && !process.command.includes('guard'),
      )!,
    /** True once nothing this system started is left. */
    allGone: () => waitUntil(() => processes().length === 0, 20_000),
  }
}

describe('bun run dev stops everything it started, however it is stopped', () => {
  test('Ctrl-C: SIGINT to the foreground process group', async () => {
    const shop = await launch()
    await shop.ready()
    expect(shop.processes().length).toBeGreaterThanOrEqual(6)
    process.kill(-shop.child.pid, 'SIGINT')
    expect(await shop.allGone()).toBe(true)
  })

  test('SIGTERM to an npx wrapper alone, which does not pass it on', async () => {
    const shop = await launch({ wrapper: ['npx', '--no-install'] })
    await shop.ready()
    process.kill(shop.child.pid, 'SIGTERM')
    expect(await shop.allGone()).toBe(true)
  })

  test('SIGTERM to `timeout`, which passes it to its command', async () => {
    const shop = await launch({ wrapper: ['timeout', '300'] })
    await shop.ready()
    process.kill(shop.child.pid, 'SIGTERM')
    expect(await shop.allGone()).toBe(true)
  })

  for (const runtime of runtimes) {
    test(`SIGKILL of the runner itself, on ${runtime}: every line notices and stops`, async () => {
      const shop = await launch({ args: ['--runtime', runtime] })
      await shop.ready()
      const runner = shop.runner()
      expect(runner).toBeDefined()
      process.kill(runner.pid, 'SIGKILL')
      expect(await shop.allGone()).toBe(true)
    })
  }
})

describe('bun run dev checks, restarts and explains', () => {
  test('a busy port is refused before anything starts, naming the port and who holds it', async () => {
    const system = await freshEnvironment('busy')
    const squatter = Bun.serve({
      port: system.ports.order,
      hostname: '127.0.0.1',
      fetch: () => new Response('not ours'),
    })
    try {
      const run = Bun.spawn([process.execPath, 'run', 'dev'], {
        cwd: repositoryRoot,
        env: { ...process.env, ...system.env },
        stdout: 'pipe',
        stderr: 'pipe',
      })
      expect(await run.exited).toBe(1)
      const said = await new Response(run.stdout).text()
      expect(said).toContain(`port ${system.ports.order} (ORDER_PORT, for order) is in use by pid ${process.pid}`)
      expect(said).not.toContain('healthy')
      expect(processesOf(system.dataDir)).toEqual([])
    } finally {
      squatter.stop(true)
    }
  })

  test('a service killed after the shop was up comes back by itself, and orders go through again', async () => {
    const shop = await launch()
    try {
      await shop.ready()
      process.kill(shop.service('order').pid, 'SIGKILL')
      expect(await waitUntil(() => shop.said('order is back'), 30_000)).toBe(true)
      expect(shop.said('order exited with code 137; restarting it')).toBe(true)
      const response = await placeOrder(shop.gateway, { userId: 'u-back', items: [{ id: 'sku-cable', quantity: 1 }] })
      expect(response.status).toBe(201)
    } finally {
      process.kill(-shop.child.pid, 'SIGINT')
      expect(await shop.allGone()).toBe(true)
    }
  })

  test('with faults on, the gateway listens on loopback only; with them off, on every interface', async () => {
    for (const [faults, address] of [
      ['on', '127.0.0.1'],
      ['off', '0.0.0.0'],
    ] as const) {
      const shop = await launch({ env: { FAULTS: faults } })
      try {
        await shop.ready()
        expect(listeningOn(shop.ports.gateway)).toEqual([address])
        expect(listeningOn(shop.ports.order)).toEqual(['127.0.0.1'])
      } finally {
        process.kill(-shop.child.pid, 'SIGINT')
        expect(await shop.allGone()).toBe(true)
      }
    }
  })

  test('--no-restart: a service that dies stops everything, with a non-zero exit', async () => {
    const shop = await launch({ args: ['--no-restart'] })
    await shop.ready()
    process.kill(shop.service('payment').pid, 'SIGKILL')
    expect(await shop.child.exited).toBe(1)
    expect(shop.said('payment exited with code 137; stopping everything')).toBe(true)
    expect(await shop.allGone()).toBe(true)
  })

  test('--help prints the usage; an unknown option is one line, the usage and exit 2, never a stack', async () => {
    const help = Bun.spawnSync([process.execPath, 'run', 'dev', '--help'], { cwd: repositoryRoot })
    expect(help.exitCode).toBe(0)
    expect(help.stdout.toString()).toContain('Usage: bun run dev')
    const wrong = Bun.spawnSync([process.execPath, 'run', 'dev', '--runtime', 'bun', '--colour'], {
      cwd: repositoryRoot,
    })
    expect(wrong.exitCode).toBe(2)
    const said = wrong.stderr.toString()
    expect(said).toContain('dev: unknown option --colour')
    expect(said).toContain('Usage: bun run dev')
    expect(said).not.toMatch(/\n\s+at /)
  })
})

/** The IPv4 addresses a socket listens on at `port`, from the kernel's table (`/proc/net/tcp`, state 0A: listen). */
function listeningOn(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0')
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields[1]?.endsWith(`:${hexPort}`) && fields[3] === '0A')
    .map((fields) => {
      // Little-endian hex: 0100007F is 127.0.0.1.
      const hex = fields[1]!.split(':')[0]!
      return [3, 2, 1, 0].map((byte) => Number.parseInt(hex.slice(byte * 2, byte * 2 + 2), 16)).join('.')
    })
}
