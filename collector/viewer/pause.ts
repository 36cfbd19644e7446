/**
 * Lets timers and other requests run. The libSQL file client answers synchronously, so awaiting a query never
 * gives the event loop a turn: long reads and computations call this between slices of work.
 */
export const pause = () => new Promise<void>((resolve) => setImmediate(resolve))
