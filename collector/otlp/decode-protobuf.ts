import { fromBinary, toJson } from '@bufbuild/protobuf'
import type { DecodedBatch } from '../model.ts'
import { decodeOtlpJson, MalformedPayload } from './decode-json.ts'
import { ExportTraceServiceRequest } from './proto-schema.ts'

/**
 * Reads a protobuf `ExportTraceServiceRequest`. The message goes through the proto3 JSON mapping (ids in base64,
 * 64-bit integers as strings), which `decodeOtlpJson` accepts, so both encodings share one validation path.
 */
export function decodeOtlpProtobuf(body: Uint8Array): DecodedBatch {
  let json: unknown
  try {
    json = toJson(ExportTraceServiceRequest, fromBinary(ExportTraceServiceRequest, body))
  } catch (error) {
    throw new MalformedPayload(`invalid protobuf: ${(error as Error).message}`)
  }
  return decodeOtlpJson(json)
}
