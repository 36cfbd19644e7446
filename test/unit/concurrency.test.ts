import { describe, expect, test } from 'bun:test'
import { inParallel, inSequence } from '../../shared/concurrency.ts'
import { sleep } from '../../shared/time.ts'

describe('inParallel and inSequence', () => {
  const slow = (ms: number, value: string) => () => sleep(ms).then(() => value)
  const failing = (ms: number, message: string) => () => sleep(ms).then(() => Promise.reject(new Error(message)))

  test('in parallel every task starts before any ends, in sequence each after the one before; the same results', async () => {
    // Tasks held until the test opens them: the order of starts and ends is forced, not timed.
    const events: string[] = []
    const gates: (() => void)[] = []
    const held = (value: string) => () => {
      events.push(`start ${value}`)
      return new Promise<string>((resolve) =>
        gates.push(() => {
          events.push(`end ${value}`)
          resolve(value)
        }),
      )
    }
    const settle = async () => {
      for (let i = 0; i < 20; i++) await Promise.resolve()
    }
    const tasks = [held('a'), held('b'), held('c')] as const
    const parallel = inParallel(tasks)
    await settle()
    expect(events).toEqual(['start a', 'start b', 'start c'])
    // Opened last to first: the results still come in list order.
    for (const open of gates.splice(0).reverse()) open()
    expect(await parallel).toEqual(['a', 'b', 'c'])
    events.length = 0
    const sequence = inSequence(tasks)
    for (const value of ['a', 'b', 'c']) {
      await settle()
      expect(gates).toHaveLength(1)
      expect(events.at(-1)).toBe(`start ${value}`)
      gates.shift()!()
    }
    expect(await sequence).toEqual(['a', 'b', 'c'])
    expect(events).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c'])
  })

  test('both report the failure of the first failing task in list order, whichever failed first in time', async () => {
    const tasks = [slow(10, 'a'), failing(50, 'second task'), failing(1, 'third task')] as const
    await expect(inParallel(tasks)).rejects.toThrow('second task')
    await expect(inSequence(tasks)).rejects.toThrow('second task')
  })
})
