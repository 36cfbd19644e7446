/**
 * A JSON answer written out as its parts come (`parts` yields text that adds up to one JSON document): a client gets
 * a trace of 50k spans as it is read, a slice at a time, and the event loop serves other requests between two
 * slices. Headers go with the first part, so a failure after it can only break the answer off: the stream errors,
 * which the runtime logs and the client sees as a connection reset. Read what could fail or be a 4xx (an unknown
 * trace, the first slice) before, with `started`.
 */
export function jsonStream(parts: AsyncIterable<string>): Response {
  const iterator = parts[Symbol.asyncIterator]()
  const encoder = new TextEncoder()
  // A client that goes away cancels the stream while a part may be on its way: that part is then dropped.
  let cancelled = false
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      let next: IteratorResult<string>
      try {
        next = await iterator.next()
      } catch (error) {
        if (!cancelled) controller.error(error)
        return
      }
      if (cancelled) return
      if (next.done) controller.close()
      else controller.enqueue(encoder.encode(next.value))
    },
    async cancel() {
      cancelled = true
      await iterator.return?.()
    },
  })
  return new Response(body, { headers: { 'content-type': 'application/json' } })
}

/**
 * `items` with its first item already read, or undefined when there is none: what fails or is empty is known before
 * an answer begins. Closing the result closes `items`.
 */
export async function started<T>(items: AsyncIterable<T>): Promise<AsyncIterable<T> | undefined> {
  const iterator = items[Symbol.asyncIterator]()
  const first = await iterator.next()
  if (first.done) return undefined
  return (async function* () {
    yield first.value
    yield* { [Symbol.asyncIterator]: () => iterator }
  })()
}
