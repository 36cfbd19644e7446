/**
 * Watches this process's event loop: a 2 ms timer notes the longest gap between its turns. `wallMs` is that gap;
 * `cpuMs` is the CPU time the process used during it, capped at the gap, which is the time something held the loop
 * rather than the machine running other work (tests share their CPUs with other processes).
 */
export function watchEventLoop() {
  const cpu = () => {
    const usage = process.cpuUsage()
    return (usage.user + usage.system) / 1000
  }
  let wall = performance.now()
  let used = cpu()
  let wallMs = 0
  let cpuMs = 0
  const timer = setInterval(() => {
    const [nowWall, nowUsed] = [performance.now(), cpu()]
    wallMs = Math.max(wallMs, nowWall - wall)
    cpuMs = Math.max(cpuMs, Math.min(nowWall - wall, nowUsed - used))
    ;[wall, used] = [nowWall, nowUsed]
  }, 2)
  return {
    stop() {
      clearInterval(timer)
      return { wallMs: Math.round(wallMs), cpuMs: Math.round(cpuMs) }
    },
  }
}
