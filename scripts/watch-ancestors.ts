import { existsSync, readFileSync } from 'node:fs'

/**
 * Calls `onGone(pid)` once a process that started this one has exited: the parent, or any process above it (a
 * wrapper such as npx, `bun run` or `timeout`, the terminal's shell). A wrapper that dies without passing its signal
 * on leaves its children re-parented, and with them this process: the chain above it changes, and that is what is
 * watched. On Linux the whole chain comes from /proc; elsewhere only the parent is watched.
 */
export function watchAncestors(onGone: (pid: number) => void, everyMs = 500): void {
  const initial = ancestors()
  const timer = setInterval(() => {
    const now = new Set(ancestors())
    const gone = initial.find((pid) => !now.has(pid))
    if (gone === undefined) return
    clearInterval(timer)
    onGone(gone)
  }, everyMs)
  timer.unref()
}

/** This process's ancestors, nearest first, up to (not including) init. */
function ancestors(): number[] {
  if (!existsSync('/proc/self/stat')) return process.ppid > 1 ? [process.ppid] : []
  const chain: number[] = []
  for (let pid = parentOf(process.pid); pid !== undefined && pid > 1; pid = parentOf(pid)) chain.push(pid)
  return chain
}

/** The parent pid from /proc/<pid>/stat; undefined once the process is gone or a zombie. */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) is in parentheses and may contain spaces: the fields after it are plain.
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return state === 'Z' ? undefined : Number(ppid)
  } catch {
    return undefined
  }
}
