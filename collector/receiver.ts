import type { Context } from 'hono'
import type { DecodedBatch } from './model.ts'
import { BodyError, readBody } from './otlp/body.ts'
import { decodeOtlpJson, MalformedPayload } from './otlp/decode-json.ts'
import { decodeOtlpProtobuf } from './otlp/decode-protobuf.ts'
import { encodingOf, exportResponse, statusResponse } from './otlp/response.ts'
import type { SpanWriter } from './writer.ts'

/**
 * `POST /v1/traces` (OTLP/HTTP): protobuf or JSON, plain or gzip. Answers in the request's encoding: 200 with
 * `partialSuccess` when some spans were invalid, 400 for a malformed request and 413 over the body cap (neither is
 * retried by exporters), 415 for another content type, 503 with `Retry-After` when the database fails.
 */
export function otlpReceiver({ write, maxBodyBytes }: { write: SpanWriter; maxBodyBytes: number }) {
  return async (c: Context): Promise<Response> => {
    const encoding = encodingOf(c.req.header('content-type') ?? null)
    if (!encoding) return statusResponse('json', 415, 'Content-Type must be application/x-protobuf or application/json')
    let batch: DecodedBatch
    try {
      const body = await readBody(c.req.raw, maxBodyBytes)
      batch = encoding === 'json' ? decodeOtlpJson(parseJson(body)) : decodeOtlpProtobuf(body)
    } catch (error) {
      if (error instanceof BodyError) return statusResponse(encoding, error.status, error.message)
      if (error instanceof MalformedPayload) return statusResponse(encoding, 400, error.message)
      throw error
    }
    try {
      await write(batch.spans)
    } catch (error) {
      console.error('collector: storing spans failed', error)
      const response = statusResponse(encoding, 503, 'storage unavailable, retry later')
      response.headers.set('retry-after', '1')
      return response
    }
    return exportResponse(encoding, batch.rejected, batch.errors.join('; '))
  }
}

function parseJson(body: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body))
  } catch (error) {
    throw new MalformedPayload(`invalid JSON: ${(error as Error).message}`)
  }
}
