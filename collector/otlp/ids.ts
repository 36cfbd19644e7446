const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/
const DIGITS = /^\d+$/

/**
 * An OTLP id as lower-case hex, or undefined when it is missing, malformed or all zeros (invalid per the spec).
 * The spec's JSON form is hex in any case; the canonical protobuf JSON mapping (and some SDKs) use base64, which
 * a length of `bytes` tells apart: 32/16 hex characters against 24/12 base64 characters.
 */
export function parseId(value: unknown, bytes: 16 | 8): string | undefined {
  if (typeof value !== 'string') return undefined
  if (value.length !== bytes * 2) return BASE64.test(value) ? hexId(base64ToHex(value), bytes) : undefined
  return hexId(value, bytes)
}

/**
 * `text` in lower case when it is `bytes` bytes of hex, not all zeros: one pass over its characters (the patterns and
 * the lower-casing it replaced were a tenth of decoding a JSON span).
 */
function hexId(text: string, bytes: number): string | undefined {
  if (text.length !== bytes * 2) return undefined
  let zero = true
  let upper = false
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index)
    if (code > 0x30 && code <= 0x39) zero = false
    else if (code >= 0x61 && code <= 0x66) zero = false
    else if (code >= 0x41 && code <= 0x46) {
      zero = false
      upper = true
    } else if (code !== 0x30) return undefined
  }
  if (zero) return undefined
  return upper ? text.toLowerCase() : text
}

function base64ToHex(value: string): string {
  try {
    const binary = atob(value.replace(/-/g, '+').replace(/_/g, '/'))
    return Array.from(binary, (char) => char.charCodeAt(0).toString(16).padStart(2, '0')).join('')
  } catch {
    return ''
  }
}

/**
 * Nanoseconds (decimal string, number or bigint) to whole microseconds; undefined when not a non-negative integer
 * or when the microseconds are past 2^53 - 1 (about the year 2255), which a number cannot hold exactly.
 */
export function nanosToMicros(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return 0
  const micros = toMicros(value)
  return micros !== undefined && Number.isSafeInteger(micros) ? micros : undefined
}

function toMicros(value: unknown): number | undefined {
  if (typeof value === 'number') return value >= 0 ? Math.floor(value / 1000) : undefined
  if (typeof value === 'bigint') return value >= 0n ? Number(value / 1000n) : undefined
  if (typeof value !== 'string' || !DIGITS.test(value)) return undefined
  // Dropping the last three digits divides exactly; the digits left parse exactly while they are a safe integer,
  // and past it they stay past it (which the caller refuses). No BigInt, which was a sixth of decoding a span.
  return value.length <= 3 ? 0 : Number(value.slice(0, -3))
}
