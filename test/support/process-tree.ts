import { readdirSync, readFileSync } from 'node:fs'

/** A process of this machine, read from /proc. */
export interface RunningProcess {
  pid: number
  command: string
}

/**
 * The processes whose environment has `DATA_DIR=<dataDir>`: everything a runner started for one system under test
 * (each test system has a data folder of its own, and every process inherits it).
 */
export function processesOf(dataDir: string): RunningProcess[] {
  const found: RunningProcess[] = []
  for (const name of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      if (readFileSync(`/proc/${name}/stat`, 'utf8').split(') ')[1]?.startsWith('Z')) continue
      if (!readFileSync(`/proc/${name}/environ`, 'utf8').split('\0').includes(`DATA_DIR=${dataDir}`)) continue
      const command = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ')
      found.push({ pid: Number(name), command })
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return found
}
