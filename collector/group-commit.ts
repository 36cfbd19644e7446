interface Waiting<T> {
  items: T[]
  resolve(): void
  reject(error: unknown): void
}

/**
 * Batches writes across concurrent requests: the first write commits at once, and whatever arrives while a
 * commit runs goes out together in the next one. Each caller still learns when its own items are stored, so an
 * exporter is answered only after its spans can be read back.
 */
export function groupCommit<T>(commit: (items: T[]) => Promise<void>): (items: T[]) => Promise<void> {
  let waiting: Waiting<T>[] = []
  let running = false
  const drain = async () => {
    running = true
    while (waiting.length > 0) {
      const group = waiting
      waiting = []
      try {
        await commit(group.flatMap((entry) => entry.items))
        for (const entry of group) entry.resolve()
      } catch (error) {
        for (const entry of group) entry.reject(error)
      }
    }
    running = false
  }
  return (items) =>
    new Promise<void>((resolve, reject) => {
      waiting.push({ items, resolve, reject })
      if (!running) void drain()
    })
}
