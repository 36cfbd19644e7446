/** Sends `signal` to every process of the group `pid` leads; false when none is left (0 only asks). */
export function signalGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, signal)
    return true
  } catch {
    return false
  }
}

/**
 * Stops the process group `pid` leads: SIGTERM, then SIGKILL to whatever is left after `graceMs` (an unreachable
 * collector must not hold a service up). Resolves once the group is gone.
 */
export async function stopGroup(pid: number, exited: Promise<unknown>, graceMs = 5000): Promise<void> {
  signalGroup(pid, 'SIGTERM')
  const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs)
  await exited
  // The leader is gone; members it started may linger (a server's workers): they go too.
  signalGroup(pid, 'SIGKILL')
  clearTimeout(timer)
}
