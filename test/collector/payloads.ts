import { nowNanos } from './helpers.ts'

/** Hand-written OTLP JSON as other SDKs send it (spec form: hex ids in any case, 64-bit ints as strings or numbers). */
export const TRACE_ID = '5B8EFFF798038103D269B633813FC60C'
export const ROOT_ID = 'EEE19B7EC3C1B174'
export const CHILD_ID = 'EEE19B7EC3C1B173'
export const ORPHAN_ID = '00F067AA0BA902B7'
export const LINKED_TRACE = '0af7651916cd43dd8448eb211c80319c'
export const LINKED_SPAN = 'b7ad6b7169203331'

const string = (key: string, value: string) => ({ key, value: { stringValue: value } })

export function handWrittenRequest() {
  const start = nowNanos() - 10_000_000_000n
  return {
    resourceSpans: [
      {
        resource: { attributes: [string('service.name', 'checkout'), string('host.name', 'box-1')], droppedAttributesCount: 0 },
        schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
        futureField: { anything: true },
        scopeSpans: [
          {
            scope: { name: 'hand-written', version: '1.2.3' },
            spans: [
              {
                traceId: TRACE_ID,
                spanId: ROOT_ID,
                name: 'POST /checkout',
                kind: 2,
                startTimeUnixNano: String(start),
                endTimeUnixNano: String(start + 2_000_000_000n),
                attributes: [
                  string('http.request.method', 'POST'),
                  { key: 'http.response.status_code', value: { intValue: '502' } },
                  { key: 'retries', value: { intValue: 3 } },
                  { key: 'big', value: { intValue: '9007199254740993' } },
                  { key: 'ratio', value: { doubleValue: 0.25 } },
                  { key: 'cached', value: { boolValue: false } },
                  { key: 'raw', value: { bytesValue: 'AQID' } },
                  { key: 'tags', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: '2' }] } } },
                  { key: 'map', value: { kvlistValue: { values: [string('k', 'v'), { key: 'n', value: { boolValue: true } }] } } },
                ],
                status: { code: 2, message: 'upstream failed' },
                unknownSpanField: 42,
              },
              {
                traceId: TRACE_ID.toLowerCase(),
                spanId: CHILD_ID,
                parentSpanId: ROOT_ID,
                name: 'create_payment',
                kind: 3,
                startTimeUnixNano: Number(start + 100_000_000n),
                endTimeUnixNano: Number(start + 1_900_000_000n),
                attributes: [string('error.type', 'TIMEOUT')],
                events: [
                  { timeUnixNano: String(start + 500_000_000n), name: 'retry_attempt', attributes: [{ key: 'attempt', value: { intValue: '1' } }] },
                  { timeUnixNano: String(start + 1_800_000_000n), name: 'exception', attributes: [string('exception.message', 'timed out')] },
                ],
                links: [{ traceId: LINKED_TRACE, spanId: LINKED_SPAN, traceState: 'vendor=1', attributes: [string('link.reason', 'batch')] }],
                status: { code: 2, message: 'TIMEOUT' },
              },
              {
                traceId: TRACE_ID,
                spanId: ORPHAN_ID,
                parentSpanId: '1111111111111111',
                name: 'late_callback',
                kind: 1,
                startTimeUnixNano: String(start + 1_000_000_000n),
                endTimeUnixNano: String(start + 1_100_000_000n),
                status: {},
              },
            ],
          },
        ],
      },
    ],
  }
}
