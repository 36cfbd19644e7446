/** Narrowing helpers for OTLP JSON, where any field may be missing or of the wrong type. */
export type Json = Record<string, unknown>

export const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

export const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : [])

/** The request is not an `ExportTraceServiceRequest` at all: answered 400, never retried. */
export class MalformedPayload extends Error {
  override readonly name = 'MalformedPayload'
}

/**
 * How deep values (arrays and key-value lists inside an attribute) may nest, in either encoding: deeper is a
 * malformed request, not a stack overflow (a 500) in the code that walks it.
 */
export const MAX_VALUE_DEPTH = 32
