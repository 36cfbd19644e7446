/**
 * A JSON answer written out as its parts come (`parts` yields text that adds up to one JSON document): a client gets
 * a trace of 50k spans as it is read, a slice at a time, and the event loop serves other requests between two
 * slices. Headers are sent with the first part, so a failure after it can only cut the answer short: it is logged,
 * and the client sees a body that does not parse. Check what would be a 4xx (an unknown trace) before, with
 * `nonEmpty`.
 */
export function jsonStream(parts: AsyncIterable<string>): Response {
  const iterator = parts[Symbol.asyncIterator]()
  const encoder = new TextEncoder()
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { value, done } = await iterator.next()
        if (done) controller.close()
        else controller.enqueue(encoder.encode(value))
      } catch (error) {
        console.error('collector: an answer failed after it began', error)
        controller.error(error)
      }
    },
    async cancel() {
      await iterator.return?.()
    },
  })
  return new Response(body, { headers: { 'content-type': 'application/json' } })
}

/** `items` if it yields anything (its first item read here), else undefined: an empty answer is known before any part. */
export async function nonEmpty<T>(items: AsyncIterable<T>): Promise<AsyncIterable<T> | undefined> {
  const iterator = items[Symbol.asyncIterator]()
  const first = await iterator.next()
  if (first.done) return undefined
  return (async function* () {
    yield first.value
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value
  })()
}
