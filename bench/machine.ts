import { availableParallelism, cpus, loadavg, release, totalmem, type } from 'node:os'

export interface Machine {
  cpu: string
  cores: number
  memoryGiB: number
  os: string
  bun: string
  deno: string
  commit: string
  date: string
  /** Runnable processes, averaged over a minute, when the run started: above the core count, others shared the machine. */
  loadAverage: number
}

const root = new URL('../', import.meta.url).pathname

/** What the figures were measured on, for the top of the report. */
export async function describeMachine(): Promise<Machine> {
  const osRelease = await Bun.file('/etc/os-release')
    .text()
    .catch(() => '')
  const distribution = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(osRelease)?.[1]
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    os: `${distribution ?? type()}, kernel ${release()}`,
    bun: Bun.version,
    deno: firstLine([`${root}node_modules/.bin/deno`, '--version']) ?? 'not installed',
    commit: firstLine(['git', 'rev-parse', '--short', 'HEAD']) ?? 'unknown',
    date: new Date().toISOString(),
    loadAverage: loadavg()[0]!,
  }
}

function firstLine(command: string[]): string | undefined {
  try {
    const result = Bun.spawnSync(command, { cwd: root, stdout: 'pipe', stderr: 'ignore' })
    return result.success ? result.stdout.toString().split('\n')[0]!.trim() : undefined
  } catch {
    return undefined
  }
}
