import { availableParallelism, cpus, loadavg, release, totalmem, type } from 'node:os'

export interface Machine {
  cpu: string
  cores: number
  memoryGiB: number
  os: string
  bun: string
  deno: string
  commit: string
  /** Tracked files that differ from the commit when the run started: the figures are of the commit plus these. */
  uncommitted: string[]
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
    uncommitted: lines(['git', 'status', '--porcelain', '--untracked-files=no']).map((line) => line.slice(3)),
    date: new Date().toISOString(),
    loadAverage: loadavg()[0]!,
  }
}

function firstLine(command: string[]): string | undefined {
  return lines(command)[0]?.trim()
}

function lines(command: string[]): string[] {
  try {
    const result = Bun.spawnSync(command, { cwd: root, stdout: 'pipe', stderr: 'ignore' })
    return result.success ? result.stdout.toString().split('\n').filter(Boolean) : []
  } catch {
    return []
  }
}
