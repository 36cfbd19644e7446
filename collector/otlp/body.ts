/** Why a request body could not be read: the status and message the receiver answers with. */
export class BodyError extends Error {
  override readonly name = 'BodyError'

  constructor(
    readonly status: 400 | 413 | 415,
    message: string,
  ) {
    super(message)
  }
}

/**
 * Reads a request body, gunzipping it when `Content-Encoding: gzip`, and stops as soon as the decompressed bytes
 * pass `maxBytes` (413), so a small gzip bomb cannot fill memory. A broken gzip stream is a 400. The bytes are in a
 * buffer of their own (never a chunk the caller may still hold), so the writer can move it to another thread.
 */
export async function readBody(request: Request, maxBytes: number): Promise<Uint8Array> {
  const encoding = (request.headers.get('content-encoding') ?? 'identity').trim().toLowerCase()
  if (encoding !== 'gzip' && encoding !== 'identity')
    throw new BodyError(415, `unsupported Content-Encoding ${encoding}`)
  const declared = Number(request.headers.get('content-length') ?? 0)
  if (encoding === 'identity' && declared > maxBytes) throw new BodyError(413, `body over ${maxBytes} bytes`)
  if (!request.body) return new Uint8Array()
  if (encoding === 'identity' && request.headers.has('content-length')) return readWhole(request, maxBytes)
  const stream = encoding === 'gzip' ? request.body.pipeThrough(new DecompressionStream('gzip')) : request.body
  const reader = stream.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      size += value.byteLength
      if (size > maxBytes) {
        await reader.cancel().catch(() => {})
        throw new BodyError(413, `body over ${maxBytes} bytes${encoding === 'gzip' ? ' once decompressed' : ''}`)
      }
      chunks.push(value)
    }
  } catch (error) {
    if (error instanceof BodyError) throw error
    throw new BodyError(400, `unreadable ${encoding === 'gzip' ? 'gzip ' : ''}body: ${(error as Error).message}`)
  }
  return concat(chunks, size)
}

/**
 * A body of a declared length, read in one native call: over HTTP it is that long, and the declared length was
 * checked against the cap; the streamed read cost the event loop more than the rest of a small request.
 */
async function readWhole(request: Request, maxBytes: number): Promise<Uint8Array> {
  let body: ArrayBuffer
  try {
    body = await request.arrayBuffer()
  } catch (error) {
    throw new BodyError(400, `unreadable body: ${(error as Error).message}`)
  }
  if (body.byteLength > maxBytes) throw new BodyError(413, `body over ${maxBytes} bytes`)
  return new Uint8Array(body)
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const body = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    body.set(chunk, offset)
    offset += chunk.byteLength
  }
  return body
}
