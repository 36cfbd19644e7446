import type { Context } from 'hono'
import { BodyError, readBody } from './otlp/body.ts'
import { MalformedPayload } from './otlp/json.ts'
import { encodingOf, exportResponse, statusResponse } from './otlp/response.ts'
import { type IngestResult, QueueFull, type SpanWriter, StorageError } from './writer.ts'

/**
 * `POST /v1/traces` (OTLP/HTTP): protobuf or JSON, plain or gzip. Answers in the request's encoding: 200 with
 * `partialSuccess` when some spans were invalid, 400 for a malformed request and 413 over the body cap (checked
 * after decompression; neither is retried by exporters), 415 for another content type, 503 with `Retry-After` when
 * the database fails. The body is read here; decoding and storing are the writer's (on its own thread for a file).
 */
export function otlpReceiver({ write, maxBodyBytes }: { write: SpanWriter; maxBodyBytes: number }) {
  return async (c: Context): Promise<Response> => {
    const encoding = encodingOf(c.req.header('content-type') ?? null)
    if (!encoding) return statusResponse('json', 415, 'Content-Type must be application/x-protobuf or application/json')
    let result: IngestResult
    try {
      result = await write.ingest(encoding, await readBody(c.req.raw, maxBodyBytes))
    } catch (error) {
      if (error instanceof BodyError) return statusResponse(encoding, error.status, error.message)
      if (error instanceof MalformedPayload) return statusResponse(encoding, 400, error.message)
      if (!(error instanceof StorageError)) throw error
      if (!(error instanceof QueueFull)) console.error('collector: storing spans failed', error)
      const response = statusResponse(encoding, 503, 'storage unavailable, retry later')
      response.headers.set('retry-after', '1')
      return response
    }
    return exportResponse(encoding, result.rejected, result.errors.join('; '))
  }
}
