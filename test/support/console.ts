import { spyOn } from 'bun:test'

/**
 * Runs `work` with `console[method]` silenced, and answers what it returned with the calls it made to that method,
 * each a list of its arguments. The console is itself again afterwards, whatever `work` did.
 */
export async function consoleCalls<T>(
  method: 'error' | 'warn',
  work: () => Promise<T>,
): Promise<{ result: T; calls: unknown[][] }> {
  const spy = spyOn(console, method).mockImplementation(() => {})
  try {
    const result = await work()
    return { result, calls: [...spy.mock.calls] }
  } finally {
    spy.mockRestore()
  }
}
