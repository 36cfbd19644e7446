import { readFileSync } from 'node:fs'
import { processesOf } from '../test/support/process-tree.ts'

/** Linux counts a process's CPU time in clock ticks of 1/100 s (USER_HZ, fixed at 100 on every Linux we run on). */
const MS_PER_TICK = 10

/**
 * CPU milliseconds used so far by every process of the system whose data folder is `dataDir` (`processesOf`: the
 * runner, its services, collector, wrangler's workerd and the sqld servers, or the floor's four), from `/proc`;
 * undefined where there is no `/proc`. Read before and after a phase, the difference is what the phase cost the whole
 * system, whichever its threads and processes: on a machine whose cores are all busy that is less noisy than orders/s,
 * which other work on the machine moves too.
 */
export function systemCpuMs(dataDir: string): number | undefined {
  let processes: ReturnType<typeof processesOf>
  try {
    processes = processesOf(dataDir)
  } catch {
    return undefined
  }
  let total = 0
  // A process gone meanwhile: what it used is no longer counted by anyone.
  for (const { pid } of processes) total += processCpuMs(pid) ?? 0
  return total
}

/** User + system CPU milliseconds a process has used so far, from `/proc/<pid>/stat`; undefined once it is gone. */
export function processCpuMs(pid: number): number | undefined {
  try {
    // The command name, in parentheses, may hold spaces: the fields after it are counted from its closing one.
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) * MS_PER_TICK
  } catch {
    return undefined
  }
}
