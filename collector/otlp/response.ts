import { create, toBinary } from '@bufbuild/protobuf'
import { ExportTraceServiceResponse, RpcStatus } from './proto-schema.ts'

export type Encoding = 'json' | 'protobuf'

const CONTENT_TYPES: Record<Encoding, string> = { json: 'application/json', protobuf: 'application/x-protobuf' }

/** The request's encoding from its Content-Type, or undefined when it is neither OTLP encoding. */
export function encodingOf(contentType: string | null): Encoding | undefined {
  const type = contentType?.split(';')[0]?.trim().toLowerCase()
  if (type === 'application/json') return 'json'
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'protobuf'
  return undefined
}

/** The answer to a request whose spans were all stored, in each encoding: encoded once. */
const ALL_STORED: Record<Encoding, string | Uint8Array> = {
  json: '{}',
  protobuf: toBinary(ExportTraceServiceResponse, create(ExportTraceServiceResponse)),
}

/** 200 with an `ExportTraceServiceResponse`, carrying `partialSuccess` when some spans were dropped. */
export function exportResponse(encoding: Encoding, rejectedSpans: number, errorMessage: string): Response {
  if (rejectedSpans === 0) return respond(encoding, 200, ALL_STORED[encoding])
  if (encoding === 'json') {
    const body = { partialSuccess: { rejectedSpans: String(rejectedSpans), errorMessage } }
    return respond(encoding, 200, JSON.stringify(body))
  }
  const partialSuccess = { rejectedSpans: BigInt(rejectedSpans), errorMessage }
  return respond(
    encoding,
    200,
    toBinary(ExportTraceServiceResponse, create(ExportTraceServiceResponse, { partialSuccess })),
  )
}

/** An error as the OTLP spec wants it: a `google.rpc.Status` in the request's encoding. */
export function statusResponse(encoding: Encoding, status: number, message: string): Response {
  // gRPC codes: INVALID_ARGUMENT, RESOURCE_EXHAUSTED, UNAVAILABLE.
  const code = status === 413 ? 8 : status >= 500 ? 14 : 3
  const body =
    encoding === 'json' ? JSON.stringify({ code, message }) : toBinary(RpcStatus, create(RpcStatus, { code, message }))
  return respond(encoding, status, body)
}

function respond(encoding: Encoding, status: number, body: string | Uint8Array): Response {
  return new Response(typeof body === 'string' ? body : new Uint8Array(body), {
    status,
    headers: { 'content-type': CONTENT_TYPES[encoding] },
  })
}
