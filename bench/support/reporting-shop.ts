import { mkdtemp } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClient } from '@libsql/client'
import type { ExportStats } from '../../shared/telemetry/processor.ts'

export const STATS_PREFIX = 'telemetry-stats '

const SERVICES = ['gateway', 'order', 'inventory', 'payment'] as const
const root = new URL('../../', import.meta.url).pathname

/**
 * The four services on Bun, each a process of bench/support/reporting-service.ts, on free ports and a fresh data
 * folder: what `bun run dev` starts, plus each service's span counts and the process ids whose memory the bench reads.
 */
export async function startReportingShop(env: Record<string, string>) {
  const dataDir = await mkdtemp(join(tmpdir(), 'shop-bench-'))
  const ports = Object.fromEntries(await Promise.all(SERVICES.map(async (name) => [name, await freePort()])))
  const serviceEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    FAULTS: 'on',
    ...Object.fromEntries(SERVICES.map((name) => [`${name.toUpperCase()}_PORT`, String(ports[name])])),
    ...env,
  }
  const latest = new Map<string, ExportStats>()
  const output: string[] = []
  const children = SERVICES.map((name) => {
    const child = Bun.spawn([process.execPath, 'bench/support/reporting-service.ts', name], { cwd: root, env: serviceEnv, stdout: 'pipe', stderr: 'pipe' })
    void readLines(child.stdout, (line) => {
      if (line.startsWith(STATS_PREFIX)) latest.set(name, JSON.parse(line.slice(STATS_PREFIX.length)))
      else output.push(`${name}: ${line}`)
    })
    void readLines(child.stderr, (line) => output.push(`${name}: ${line}`))
    return child
  })
  const stop = async () => {
    for (const child of children) child.kill('SIGKILL')
    await Promise.all(children.map((child) => child.exited))
  }
  const healthy = await Promise.all(SERVICES.map((name) => waitForHealth(`http://127.0.0.1:${ports[name]}/healthz`)))
  if (!healthy.every(Boolean)) {
    await stop()
    throw new Error(`the reporting shop did not start:\n${output.join('\n')}`)
  }
  return {
    gateway: `http://127.0.0.1:${ports.gateway}`,
    inventory: () => createClient({ url: `file:${dataDir}/inventory.db` }),
    /** Span counts of the four services added up, as last printed. */
    stats(): ExportStats {
      const total: ExportStats = { queued: 0, exported: 0, failed: 0, dropped: 0 }
      for (const stats of latest.values()) for (const key of Object.keys(total) as (keyof ExportStats)[]) total[key] += stats[key]
      return total
    },
    /** Resident memory of the four processes, in bytes. */
    rssBytes: () => Promise.all(children.map((child) => residentBytes(child.pid))).then((sizes) => sizes.reduce((a, b) => a + b, 0)),
    stop,
  }
}

/** VmRSS from /proc: the whole process, native allocations included, as the operating system sees it. */
async function residentBytes(pid: number): Promise<number> {
  const status = await Bun.file(`/proc/${pid}/status`).text()
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024
}

/** A port nothing listens on now: bound by the system, then released. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

async function waitForHealth(url: string): Promise<boolean> {
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    if (await fetch(url).then((response) => response.ok, () => false)) return true
    await Bun.sleep(100)
  }
  return false
}

async function readLines(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void): Promise<void> {
  const reader = stream.getReader()
  const decoder = new TextDecoder()
  let pending = ''
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    const lines = (pending + decoder.decode(chunk.value, { stream: true })).split('\n')
    pending = lines.pop()!
    lines.forEach(onLine)
  }
}
