import { describe, expect, test } from 'bun:test'
import { inParallel, inSequence } from '../../shared/concurrency.ts'
import { sleep } from '../../shared/time.ts'

describe('inParallel and inSequence', () => {
  const slow = (ms: number, value: string) => () => sleep(ms).then(() => value)
  const failing = (ms: number, message: string) => () => sleep(ms).then(() => Promise.reject(new Error(message)))

  test('in parallel the total is the slowest, in sequence the sum; the results are the same', async () => {
    const tasks = [slow(60, 'a'), slow(40, 'b'), slow(20, 'c')] as const
    let began = Date.now()
    expect(await inParallel(tasks)).toEqual(['a', 'b', 'c'])
    const parallel = Date.now() - began
    began = Date.now()
    expect(await inSequence(tasks)).toEqual(['a', 'b', 'c'])
    const sequential = Date.now() - began
    expect(parallel).toBeLessThan(100)
    expect(sequential).toBeGreaterThanOrEqual(115)
  })

  test('both report the failure of the first failing task in list order, whichever failed first in time', async () => {
    const tasks = [slow(10, 'a'), failing(50, 'second task'), failing(1, 'third task')] as const
    await expect(inParallel(tasks)).rejects.toThrow('second task')
    await expect(inSequence(tasks)).rejects.toThrow('second task')
  })
})
