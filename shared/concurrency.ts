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
