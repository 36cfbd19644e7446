import { untilAborted } from './time.ts'

/**
 * Why a piece of work stopped before it finished: another one failed first, or the caller gave up. Its `code` becomes
 * the span's `error.type`, so a cancelled span is told apart from one that failed of itself.
 */
export class CancelledError extends Error {
  override readonly name = 'CancelledError'
  readonly code = 'cancelled'

  constructor(reason: string) {
    super(`cancelled: ${reason}`)
  }
}

/**
 * Maps `items` through `work`, at most `limit` at a time, and returns the results in input order. The first failure
 * aborts the signal every running call was given (items not started yet never start); once every started call has
 * settled, so that their spans have ended, that first failure is thrown. An abort of `signal` stops it the same way.
 *
 * Our own rather than p-map/p-limit: those neither hand the work a signal nor wait for running calls after a failure.
 */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number, signal: AbortSignal) => Promise<R>,
  signal?: AbortSignal,
): Promise<R[]> {
  const controller = new AbortController()
  const stopWith = () =>
    controller.abort(new CancelledError(String(signal?.reason?.message ?? signal?.reason ?? 'aborted')))
  if (signal?.aborted) stopWith()
  signal?.addEventListener('abort', stopWith, { once: true })
  const results = new Array<R>(items.length)
  let failure: { error: unknown } | undefined
  let next = 0
  const worker = async () => {
    while (next < items.length && !controller.signal.aborted) {
      const index = next++
      try {
        results[index] = await work(items[index]!, index, controller.signal)
      } catch (error) {
        if (failure) continue
        failure = { error }
        if (!controller.signal.aborted)
          controller.abort(new CancelledError(`item ${index} failed first: ${(error as Error)?.message ?? error}`))
      }
    }
  }
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker))
  } finally {
    signal?.removeEventListener('abort', stopWith)
  }
  if (failure) throw failure.error
  if (controller.signal.aborted) throw controller.signal.reason
  return results
}

/** `pending`, or the signal's reason as soon as it aborts (the work itself may go on; its answer is no longer awaited). */
export function orAbort<T>(pending: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  return signal ? Promise.race([pending, untilAborted(signal)]) : pending
}

type Results<Tasks extends readonly (() => Promise<unknown>)[]> = {
  -readonly [K in keyof Tasks]: Awaited<ReturnType<Tasks[K]>>
}

/** Runs the tasks one after another; the first failure stops the rest. */
export async function inSequence<const Tasks extends readonly (() => Promise<unknown>)[]>(
  tasks: Tasks,
): Promise<Results<Tasks>> {
  const results: unknown[] = []
  for (const task of tasks) results.push(await task())
  return results as Results<Tasks>
}

/**
 * Runs the tasks at once and waits for all of them; a failure is thrown only then, and it is the failure of the first
 * task in list order, so the answer is the one `inSequence` would give, whatever finished first.
 */
export async function inParallel<const Tasks extends readonly (() => Promise<unknown>)[]>(
  tasks: Tasks,
): Promise<Results<Tasks>> {
  const settled = await Promise.all(
    tasks.map((task) =>
      task().then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      ),
    ),
  )
  const failed = settled.find((outcome) => 'error' in outcome)
  if (failed) throw failed.error
  return settled.map((outcome) => (outcome as { value: unknown }).value) as Results<Tasks>
}
