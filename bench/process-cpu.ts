import { readdirSync, readFileSync } from 'node:fs'

/** Linux counts a process's CPU time in clock ticks of 1/100 s (USER_HZ, fixed at 100 on every Linux we run on). */
const MS_PER_TICK = 10

interface ProcessStat {
  parent: number
  cpuMs: number
}

/** `/proc/<pid>/stat`: its parent and the CPU it has used (user and system); undefined once it is gone. */
function processStat(pid: number): ProcessStat | undefined {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  // The command name, in parentheses, may hold spaces: the fields after it are counted from its closing one.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  return { parent: Number(fields[1]), cpuMs: (Number(fields[11]) + Number(fields[12])) * MS_PER_TICK }
}

/**
 * CPU milliseconds used so far by the processes `roots` and every process below them (a runner's services, its
 * collector, wrangler's workerd, the sqld servers), from `/proc`; undefined where there is no `/proc`. Read before
 * and after a phase, the difference is what the phase cost the whole system, whichever its threads and processes:
 * on a machine whose cores are all busy that is less noisy than orders/s, which other work on the machine moves too.
 */
export function processTreeCpuMs(roots: number[]): number | undefined {
  let pids: number[]
  try {
    pids = readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .map(Number)
  } catch {
    return undefined
  }
  const stats = new Map<number, ProcessStat>()
  for (const pid of pids) {
    const stat = processStat(pid)
    if (stat) stats.set(pid, stat)
  }
  const children = new Map<number, number[]>()
  for (const [pid, { parent }] of stats) children.set(parent, [...(children.get(parent) ?? []), pid])
  let total = 0
  const pending = [...roots]
  while (pending.length > 0) {
    const pid = pending.pop()!
    total += stats.get(pid)?.cpuMs ?? 0
    pending.push(...(children.get(pid) ?? []))
  }
  return total
}
