import type { Tag } from '../model.ts'
import { asArray, isObject, MAX_VALUE_DEPTH, MalformedPayload } from './json.ts'

/** OTLP `KeyValue[]` in its JSON form to Jaeger tags; entries without a string key are skipped. */
export function toTags(list: unknown): Tag[] {
  if (!Array.isArray(list)) return []
  const tags: Tag[] = []
  for (const entry of list) {
    if (isObject(entry) && typeof entry.key === 'string') tags.push(toTag(entry.key, entry.value))
  }
  return tags
}

function toTag(key: string, value: unknown): Tag {
  if (!isObject(value)) return { key, type: 'string', value: '' }
  if ('stringValue' in value) return { key, type: 'string', value: String(value.stringValue ?? '') }
  if ('boolValue' in value) return { key, type: 'bool', value: value.boolValue === true || value.boolValue === 'true' }
  if ('intValue' in value) return intTag(key, value.intValue)
  if ('doubleValue' in value) {
    const number = Number(value.doubleValue)
    return Number.isFinite(number)
      ? { key, type: 'float64', value: number }
      : { key, type: 'string', value: String(number) }
  }
  if ('bytesValue' in value) return { key, type: 'binary', value: String(value.bytesValue ?? '') }
  return { key, type: 'string', value: JSON.stringify(plainValue(value)) }
}

/** 64-bit integers arrive as decimal strings (the spec) or numbers; beyond 2^53 the exact digits are kept as a string. */
function intTag(key: string, raw: unknown): Tag {
  const number = Number(raw)
  if (Number.isSafeInteger(number)) return { key, type: 'int64', value: number }
  if (typeof raw === 'string' && /^-?\d+$/.test(raw)) return { key, type: 'int64', value: raw }
  return { key, type: 'string', value: String(raw) }
}

/** An `AnyValue` as a plain JSON value: how arrays and kvlists are shown, since Jaeger tags have no such types. */
function plainValue(value: unknown, depth = 0): unknown {
  if (depth > MAX_VALUE_DEPTH) throw new MalformedPayload('values nested too deep')
  if (!isObject(value)) return null
  if ('stringValue' in value) return value.stringValue
  if ('boolValue' in value) return value.boolValue
  if ('intValue' in value) return Number.isSafeInteger(Number(value.intValue)) ? Number(value.intValue) : value.intValue
  if ('doubleValue' in value) return value.doubleValue
  if ('bytesValue' in value) return value.bytesValue
  if (isObject(value.arrayValue)) return asArray(value.arrayValue.values).map((item) => plainValue(item, depth + 1))
  if (isObject(value.kvlistValue)) {
    const entries = asArray(value.kvlistValue.values).filter(isObject)
    return Object.fromEntries(entries.map((entry) => [String(entry.key), plainValue(entry.value, depth + 1)]))
  }
  return null
}
