import { expect, test } from 'bun:test'
import { jsonStream, started } from '../../collector/json-stream.ts'
import { consoleCalls } from '../support/console.ts'

/** Parts as a generator that notes how far it got and whether it was closed. */
function parts(texts: string[], { failAfter }: { failAfter?: number } = {}) {
  const seen = { yielded: 0, closed: false }
  const generator = (async function* () {
    try {
      for (const text of texts) {
        if (seen.yielded === failAfter) throw new Error('the database went away')
        seen.yielded++
        yield text
      }
    } finally {
      seen.closed = true
    }
  })()
  return { generator, seen }
}

test('the parts make up the body, as JSON', async () => {
  const { generator } = parts(['{"data":[', '1,', '2', ']}'])
  const response = jsonStream(generator)
  expect(response.headers.get('content-type')).toBe('application/json')
  expect(await response.json()).toEqual({ data: [1, 2] })
})

test('a client that goes away closes the parts where they are, and nothing is logged', async () => {
  const { generator, seen } = parts(['{"data":[', '1', ',2', ',3', ']}'])
  const { calls } = await consoleCalls('error', async () => {
    const reader = jsonStream(generator).body!.getReader()
    await reader.read()
    await reader.cancel()
  })
  expect(seen.closed).toBe(true)
  expect(seen.yielded).toBeLessThan(5)
  expect(calls).toEqual([])
})

test('a failure after the first part breaks the body off: reading it fails', async () => {
  const { generator } = parts(['{"data":[', '1', ']}'], { failAfter: 1 })
  const reader = jsonStream(generator).body!.getReader()
  expect(new TextDecoder().decode((await reader.read()).value)).toBe('{"data":[')
  await expect(reader.read()).rejects.toThrow('the database went away')
})

test('started: the first item read before anything is answered; none is undefined; closing it closes the items', async () => {
  expect(await started(parts([]).generator)).toBeUndefined()
  const failing = parts(['a'], { failAfter: 0 })
  await expect(started(failing.generator)).rejects.toThrow('the database went away')
  const { generator, seen } = parts(['a', 'b', 'c'])
  const begun = (await started(generator))!
  expect(seen.yielded).toBe(1)
  for await (const item of begun) if (item === 'b') break
  expect(seen.closed).toBe(true)
})
