import type { DecodedBatch } from '../model.ts'
import { decodeOtlpJson } from './decode-json.ts'
import { decodeOtlpProtobuf } from './decode-protobuf.ts'
import { MalformedPayload } from './json.ts'
import type { Encoding } from './response.ts'

/** A request body in either OTLP encoding; `MalformedPayload` when it is not an `ExportTraceServiceRequest`. */
export function decodeBody(encoding: Encoding, body: Uint8Array): DecodedBatch {
  return encoding === 'json' ? decodeOtlpJson(parseJson(body)) : decodeOtlpProtobuf(body)
}

function parseJson(body: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body))
  } catch (error) {
    throw new MalformedPayload(`invalid JSON: ${(error as Error).message}`)
  }
}
