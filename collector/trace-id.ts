const HEX = /^[0-9a-f]{1,32}$/i
const BASE64 = /^[A-Za-z0-9+/_-]{11,22}={0,2}$/

/**
 * A trace id as Jaeger's query API reads one, as 32 lower-case hex digits: hex of up to 32 digits, left-padded (a
 * 64-bit id is the low half of a 128-bit one), else base64 (standard or URL-safe, padded or not) of 16 or 8 bytes.
 * Hex wins when both read, as in Jaeger. All zeros is a valid id here: it is simply never found.
 */
export function parseTraceId(raw: string): string | undefined {
  if (HEX.test(raw)) return raw.toLowerCase().padStart(32, '0')
  if (!BASE64.test(raw)) return undefined
  let binary: string
  try {
    binary = atob(raw.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, ''))
  } catch {
    return undefined
  }
  if (binary.length !== 16 && binary.length !== 8) return undefined
  return Array.from(binary, (char) => char.charCodeAt(0).toString(16).padStart(2, '0'))
    .join('')
    .padStart(32, '0')
}
