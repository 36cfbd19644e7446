/** Where the map draws a service: its column (calls go left to right) and its row in that column. */
export interface Placed {
  column: number
  row: number
}

/**
 * Columns by call depth: a service goes one column right of the deepest service calling it, so callers stand left
 * of what they call. In a cycle of calls, the service of the cycle first by name is taken as its start, and calls
 * back into placed services do not move them. Linear in services and calls.
 */
export function layOutGraph(services: string[], edges: { parent: string; child: string }[]): Map<string, Placed> {
  const names = [...services].sort()
  const children = new Map<string, string[]>(names.map((service) => [service, []]))
  const waiting = new Map<string, number>(names.map((service) => [service, 0]))
  for (const { parent, child } of edges) {
    if (!children.has(parent) || !children.has(child) || parent === child) continue
    children.get(parent)!.push(child)
    waiting.set(child, waiting.get(child)! + 1)
  }
  // Kahn's order: a service once all its callers are placed; when a cycle blocks that, the first unplaced by name.
  const column = new Map<string, number>()
  const queue = names.filter((service) => waiting.get(service) === 0)
  const placedSet = new Set<string>()
  let next = 0
  let stuck = 0
  while (placedSet.size < names.length) {
    let service: string
    if (next < queue.length) {
      service = queue[next++]!
      if (placedSet.has(service)) continue
    } else {
      while (placedSet.has(names[stuck]!)) stuck++
      service = names[stuck]!
    }
    placedSet.add(service)
    const at = column.get(service) ?? 0
    column.set(service, at)
    for (const child of children.get(service)!) {
      if (placedSet.has(child)) continue
      column.set(child, Math.max(column.get(child) ?? 0, at + 1))
      waiting.set(child, waiting.get(child)! - 1)
      if (waiting.get(child) === 0) queue.push(child)
    }
  }
  const rows = new Map<number, number>()
  const placed = new Map<string, Placed>()
  for (const service of names.sort((a, b) => column.get(a)! - column.get(b)! || a.localeCompare(b))) {
    const at = column.get(service)!
    placed.set(service, { column: at, row: rows.get(at) ?? 0 })
    rows.set(at, (rows.get(at) ?? 0) + 1)
  }
  return placed
}
