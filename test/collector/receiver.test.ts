import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { fromBinary } from '@bufbuild/protobuf'
import { tagValue as tag } from '../../collector/analysis/tree.ts'
import type { JaegerTrace } from '../../collector/jaeger.ts'
import { ExportTraceServiceResponse, RpcStatus } from '../../collector/otlp/proto-schema.ts'
import { nowNanos, postOtlp, testCollector } from './helpers.ts'
import { CHILD_ID, handWrittenRequest, LINKED_SPAN, LINKED_TRACE, ORPHAN_ID, ROOT_ID, TRACE_ID } from './payloads.ts'

let collector: Awaited<ReturnType<typeof testCollector>>
beforeAll(async () => {
  collector = await testCollector({ maxBodyBytes: 256 * 1024 })
})
afterAll(() => collector.close())

async function readTrace(traceId: string): Promise<JaegerTrace> {
  const response = await collector.app.request(`/api/traces/${traceId}`)
  expect(response.status).toBe(200)
  return ((await response.json()) as { data: JaegerTrace[] }).data[0]!
}

describe('hand-written OTLP JSON', () => {
  test('every field reads back through /api/traces/:id', async () => {
    const response = await postOtlp(collector.app, handWrittenRequest())
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toContain('application/json')
    expect(await response.json()).toEqual({})

    const trace = await readTrace(TRACE_ID)
    expect(trace.traceID).toBe(TRACE_ID.toLowerCase())
    const byId = new Map(trace.spans.map((span) => [span.spanID, span]))
    const root = byId.get(ROOT_ID.toLowerCase())!
    const child = byId.get(CHILD_ID.toLowerCase())!
    const orphan = byId.get(ORPHAN_ID.toLowerCase())!
    expect(root.references).toEqual([])
    expect(root.duration).toBe(2_000_000)
    expect(child.references[0]).toEqual({
      refType: 'CHILD_OF',
      traceID: TRACE_ID.toLowerCase(),
      spanID: ROOT_ID.toLowerCase(),
    })
    expect(orphan.references[0]!.spanID).toBe('1111111111111111')

    expect(root.tags).toEqual(
      expect.arrayContaining([
        { key: 'http.request.method', type: 'string', value: 'POST' },
        { key: 'http.response.status_code', type: 'int64', value: 502 },
        { key: 'retries', type: 'int64', value: 3 },
        { key: 'big', type: 'int64', value: '9007199254740993' },
        { key: 'ratio', type: 'float64', value: 0.25 },
        { key: 'cached', type: 'bool', value: false },
        { key: 'raw', type: 'binary', value: 'AQID' },
        { key: 'tags', type: 'string', value: '["a",2]' },
        { key: 'map', type: 'string', value: '{"k":"v","n":true}' },
        { key: 'span.kind', type: 'string', value: 'server' },
        { key: 'otel.status_code', type: 'string', value: 'ERROR' },
        { key: 'otel.status_description', type: 'string', value: 'upstream failed' },
        { key: 'error', type: 'bool', value: true },
        { key: 'otel.scope.name', type: 'string', value: 'hand-written' },
        { key: 'otel.scope.version', type: 'string', value: '1.2.3' },
      ]),
    )
    expect(child.logs.map((log) => [log.timestamp - child.startTime, tag(log.fields, 'event')])).toEqual([
      [400_000, 'retry_attempt'],
      [1_700_000, 'exception'],
    ])
    expect(tag(child.logs[0]!.fields, 'attempt')).toBe(1)
    expect(child.references[1]).toEqual({
      refType: 'FOLLOWS_FROM',
      traceID: LINKED_TRACE,
      spanID: LINKED_SPAN,
      tags: [{ key: 'link.reason', type: 'string', value: 'batch' }],
    })
    expect(tag(orphan.tags, 'otel.status_code')).toBeUndefined()
    expect(trace.processes[root.processID]).toEqual({
      serviceName: 'checkout',
      tags: [{ key: 'host.name', type: 'string', value: 'box-1' }],
    })
  })

  test('the same span sent twice is stored once', async () => {
    await postOtlp(collector.app, handWrittenRequest())
    await postOtlp(collector.app, handWrittenRequest())
    const trace = await readTrace(TRACE_ID)
    expect(trace.spans.map((span) => span.spanID).sort()).toEqual(
      [CHILD_ID, ORPHAN_ID, ROOT_ID].map((id) => id.toLowerCase()).sort(),
    )
    expect(trace.spans.find((span) => span.spanID === CHILD_ID.toLowerCase())!.logs).toHaveLength(2)
  })

  test('invalid spans are dropped with partialSuccess, the others kept', async () => {
    const request = handWrittenRequest()
    const spans = request.resourceSpans[0]!.scopeSpans[0]!.spans as unknown[]
    const traceId = 'abcdefabcdefabcdefabcdefabcdef01'
    spans.splice(
      0,
      spans.length,
      { ...(spans[0] as object), traceId },
      { traceId: 'nothex', spanId: 'x' },
      { ...(spans[0] as object), traceId, spanId: '0000000000000000' },
      'not a span',
    )
    const response = await postOtlp(collector.app, request)
    expect(response.status).toBe(200)
    const body = (await response.json()) as { partialSuccess: { rejectedSpans: string; errorMessage: string } }
    expect(body.partialSuccess.rejectedSpans).toBe('3')
    expect(body.partialSuccess.errorMessage).toContain('invalid traceId')
    expect((await readTrace(traceId)).spans).toHaveLength(1)
  })

  test('a span timed past 2^53 - 1 µs is dropped with partialSuccess, not a 503 for the whole request', async () => {
    const request = handWrittenRequest()
    const spans = request.resourceSpans[0]!.scopeSpans[0]!.spans as Record<string, unknown>[]
    const traceId = 'abcdefabcdefabcdefabcdefabcdef02'
    const [first] = spans
    spans.splice(
      0,
      spans.length,
      { ...first, traceId },
      { ...first, traceId, spanId: '2000000000000001', startTimeUnixNano: '9'.repeat(400) },
      { ...first, traceId, spanId: '2000000000000002', endTimeUnixNano: '9007199254740992000' },
      { ...first, traceId, spanId: '2000000000000003', endTimeUnixNano: 1e300 },
    )
    const response = await postOtlp(collector.app, request)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({
      partialSuccess: {
        rejectedSpans: '3',
        errorMessage: [1, 2, 3].map((n) => `span 200000000000000${n}: invalid start or end time`).join('; '),
      },
    })
    expect((await readTrace(traceId)).spans.map((span) => span.spanID)).toEqual([ROOT_ID.toLowerCase()])
  })

  test('gzip bodies are accepted', async () => {
    const request = handWrittenRequest()
    const traceId = 'feedfacefeedfacefeedfacefeedface'
    for (const span of request.resourceSpans[0]!.scopeSpans[0]!.spans) span.traceId = traceId
    const response = await postOtlp(collector.app, Bun.gzipSync(JSON.stringify(request)), {
      'content-encoding': 'gzip',
    })
    expect(response.status).toBe(200)
    expect((await readTrace(traceId)).spans).toHaveLength(3)
  })
})

describe('malformed input', () => {
  test.each([
    ['not JSON', '{"resourceSpans": ['],
    ['not an object', '[1,2]'],
    ['resourceSpans not an array', '{"resourceSpans": 5}'],
    ['scopeSpans entry not an object', '{"resourceSpans": [{"scopeSpans": [7]}]}'],
    ['invalid UTF-8', new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])],
  ])('JSON %s is a 400 with a JSON Status', async (_, body) => {
    const response = await postOtlp(collector.app, body)
    expect(response.status).toBe(400)
    expect(response.headers.get('content-type')).toContain('application/json')
    expect(((await response.json()) as { code: number }).code).toBe(3)
  })

  test('an attribute nested deeper than 32 values is a 400 that stores nothing; 32 deep is kept', async () => {
    const traceId = 'd1'.repeat(16)
    const start = nowNanos()
    // Written as text: JSON.stringify itself runs out of stack on a value this deep.
    const nested = (depth: number) =>
      JSON.stringify({
        resourceSpans: [
          {
            scopeSpans: [
              {
                spans: [
                  {
                    traceId,
                    spanId: 'e1'.repeat(8),
                    name: 'deep',
                    startTimeUnixNano: String(start),
                    endTimeUnixNano: String(start + 1_000_000n),
                    attributes: [{ key: 'deep', value: 'VALUE' }],
                  },
                ],
              },
            ],
          },
        ],
      }).replace('"VALUE"', `${'{"arrayValue":{"values":['.repeat(depth)}{"intValue":"1"}${']}}'.repeat(depth)}`)
    // Without a limit, 20,000 levels overflowed the stack of the code that walks a value: a 500.
    const tooDeep = await postOtlp(collector.app, nested(33))
    expect(tooDeep.status).toBe(400)
    expect(((await tooDeep.json()) as { message: string }).message).toContain('nested too deep')
    expect((await collector.app.request(`/api/traces/${traceId}`)).status).toBe(404)
    expect((await postOtlp(collector.app, nested(32))).status).toBe(200)
    const [span] = (await readTrace(traceId)).spans
    expect(tag(span!.tags, 'deep')).toBe(`${'['.repeat(32)}1${']'.repeat(32)}`)
  })

  test('garbage protobuf is a 400 with a protobuf Status', async () => {
    const response = await postOtlp(collector.app, new Uint8Array([0x0a, 0xff, 0xff, 0x01, 0x02]), {
      'content-type': 'application/x-protobuf',
    })
    expect(response.status).toBe(400)
    expect(response.headers.get('content-type')).toBe('application/x-protobuf')
    const status = fromBinary(RpcStatus, new Uint8Array(await response.arrayBuffer())) as unknown as {
      code: number
      message: string
    }
    expect(status.code).toBe(3)
    expect(String(status.message)).toContain('invalid protobuf')
  })

  test('an empty protobuf request is a 200 with an empty response', async () => {
    const response = await postOtlp(collector.app, new Uint8Array(), { 'content-type': 'application/x-protobuf' })
    expect(response.status).toBe(200)
    const decoded = fromBinary(ExportTraceServiceResponse, new Uint8Array(await response.arrayBuffer())) as {
      partialSuccess?: unknown
    }
    expect(decoded.partialSuccess).toBeUndefined()
  })

  test('a broken gzip stream is a 400', async () => {
    const response = await postOtlp(collector.app, 'definitely not gzip', { 'content-encoding': 'gzip' })
    expect(response.status).toBe(400)
  })

  test('bodies over the cap are a 413, also when they only grow once decompressed', async () => {
    const big = JSON.stringify({ resourceSpans: [], padding: 'x'.repeat(300 * 1024) })
    expect((await postOtlp(collector.app, big)).status).toBe(413)
    const bomb = Bun.gzipSync(big)
    expect(bomb.byteLength).toBeLessThan(256 * 1024)
    const response = await postOtlp(collector.app, bomb, { 'content-encoding': 'gzip' })
    expect(response.status).toBe(413)
    expect(((await response.json()) as { message: string }).message).toContain('once decompressed')
  })

  test('another content type is a 415, another encoding too', async () => {
    expect((await postOtlp(collector.app, 'x', { 'content-type': 'text/plain' })).status).toBe(415)
    expect((await postOtlp(collector.app, '{}', { 'content-encoding': 'br' })).status).toBe(415)
  })

  test('the collector still answers after all of it', async () => {
    expect((await collector.app.request('/healthz')).status).toBe(200)
  })
})
