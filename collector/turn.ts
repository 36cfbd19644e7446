/**
 * Waits for a turn of the event loop of its own. The libSQL file client answers synchronously, so awaiting a query
 * never lets anything else run: long reads and computations (searches, traces written out, the viewer's pages) call
 * this between slices of their work. Turns are handed out one per `setImmediate`, in order of asking, so the slices
 * of concurrent requests alternate, and requests that arrived meanwhile are served between two slices.
 */
export function turn(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve)
    if (!scheduled) {
      scheduled = true
      setImmediate(giveTurn)
    }
  })
}

const waiting: (() => void)[] = []
let scheduled = false

function giveTurn(): void {
  const next = waiting.shift()
  if (!next) {
    scheduled = false
    return
  }
  next()
  setImmediate(giveTurn)
}
