import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { fromJson, type JsonValue, toBinary } from '@bufbuild/protobuf'
import { count } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/libsql'
import { Hono } from 'hono'
import { FileSpanStore } from '../../collector/file-store.ts'
import type { SpanRecord } from '../../collector/model.ts'
import { ExportTraceServiceRequest } from '../../collector/otlp/proto-schema.ts'
import { traceSlices } from '../../collector/query.ts'
import { otlpReceiver } from '../../collector/receiver.ts'
import * as schema from '../../collector/schema.ts'
import { spans } from '../../collector/schema.ts'
import { DEFAULT_SETTINGS } from '../../collector/settings.ts'
import { createSpanWriter } from '../../collector/writer.ts'
import { openDatabase } from '../../runtime/database.ts'
import { nowNanos, postOtlp, testCollector } from './helpers.ts'

const hex = (n: number, length: number) => n.toString(16).padStart(length, '0')
const pause = () => new Promise<void>((resolve) => setImmediate(resolve))

/** `traces` traces of `perTrace` spans each, from trace number `first`, in the OTLP JSON form (hex ids). */
function request(first: number, traces: number, perTrace: number) {
  const start = nowNanos() - 60_000_000_000n
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'bulk' } }] },
        scopeSpans: [
          {
            scope: { name: 'ingest-test' },
            spans: Array.from({ length: traces * perTrace }, (_, index) => {
              const trace = first + Math.floor(index / perTrace)
              const at = start + BigInt(index) * 1000n
              return {
                traceId: hex(trace + 1, 32),
                spanId: hex(index + 1, 16),
                name: `op${index % 7}`,
                kind: 2,
                startTimeUnixNano: String(at),
                endTimeUnixNano: String(at + 5_000_000n),
                attributes: [
                  { key: 'http.route', value: { stringValue: `/api/${index % 13}` } },
                  { key: 'items.count', value: { intValue: String(index % 5) } },
                ],
                events: index % 10 === 0 ? [{ timeUnixNano: String(at), name: 'tick', attributes: [] }] : [],
              }
            }),
          },
        ],
      },
    ],
  }
}

const protobuf = (json: ReturnType<typeof request>) => {
  // The protobuf JSON mapping takes ids in base64.
  const base64 = JSON.parse(JSON.stringify(json), (key, value) =>
    (key === 'traceId' || key === 'spanId') && typeof value === 'string'
      ? Buffer.from(value, 'hex').toString('base64')
      : value,
  )
  return toBinary(ExportTraceServiceRequest, fromJson(ExportTraceServiceRequest, base64 as JsonValue))
}

let collector: Awaited<ReturnType<typeof testCollector>>
beforeAll(async () => {
  collector = await testCollector()
})
afterAll(() => collector.close())

const stored = async () => (await collector.db.select({ n: count() }).from(spans))[0]!.n

describe('ingest on its own thread', () => {
  test('a large batch is one transaction: a reader sees none of it or all of it, never a part', async () => {
    const body = protobuf(request(0, 2_000, 10))
    const seen = new Set<number>()
    let answered = false
    const posting = Promise.resolve(
      postOtlp(collector.app, body, { 'content-type': 'application/x-protobuf' }),
    ).finally(() => {
      answered = true
    })
    while (!answered) {
      seen.add(await stored())
      await pause()
    }
    expect((await posting).status).toBe(200)
    seen.add(await stored())
    expect([...seen].every((n) => n === 0 || n === 20_000)).toBe(true)
    expect(seen.has(20_000)).toBe(true)
  }, 60_000)

  test('the event loop keeps answering /healthz while a large body is decoded and stored', async () => {
    // About 10 MB of JSON: decoding and storing it takes the ingest thread a good while.
    const body = JSON.stringify(request(10_000, 2_500, 10))
    let answered = false
    const posting = Promise.resolve(postOtlp(collector.app, body)).finally(() => {
      answered = true
    })
    let healthy = 0
    while (!answered) {
      expect((await collector.app.request('/healthz')).status).toBe(200)
      healthy++
      await pause()
    }
    expect((await posting).status).toBe(200)
    // Held by a synchronous decode and write, the loop would answer a handful while the body is read, then none.
    expect(healthy).toBeGreaterThan(50)
  }, 60_000)

  test('malformed bodies are still a 400 and bad spans a partialSuccess, from the ingest thread', async () => {
    const bad = await postOtlp(collector.app, '{"resourceSpans": 5}')
    expect(bad.status).toBe(400)
    const json = request(20_000, 1, 2)
    json.resourceSpans[0]!.scopeSpans[0]!.spans[1]!.traceId = 'nothex'
    const partial = await postOtlp(collector.app, json)
    expect(await partial.json()).toEqual({
      partialSuccess: { rejectedSpans: '1', errorMessage: expect.stringContaining('invalid traceId') },
    })
  })
})

describe('the ingest thread’s connection', () => {
  test('a batch that fails part way stores nothing of it', async () => {
    const store = new FileSpanStore(await fileOf(collector.db))
    try {
      const before = await stored()
      const good: SpanRecord = {
        traceId: hex(99_001, 32),
        spanId: hex(1, 16),
        parentSpanId: null,
        traceState: '',
        flags: 0,
        name: 'fine',
        kind: 1,
        startTime: 1,
        duration: 1,
        attributes: [],
        events: [{ time: 1, name: 'e', attributes: [] }],
        links: [],
        statusCode: 0,
        statusMessage: '',
        droppedAttributesCount: 0,
        droppedEventsCount: 0,
        droppedLinksCount: 0,
        resource: { serviceName: 'atomic', attributes: [] },
        scope: { name: '', version: '' },
      }
      // The second span breaks a NOT NULL constraint after the first was inserted.
      const broken = { ...good, spanId: hex(2, 16), name: null as unknown as string }
      expect(() => store.insert([good, broken])).toThrow()
      expect(await stored()).toBe(before)
      expect(store.insert([good])).toBe(1)
      expect(store.insert([good])).toBe(0)
      expect(await stored()).toBe(before + 1)
    } finally {
      store.close()
    }
  })
})

describe('any other database: written through the app’s client', () => {
  test('JSON and protobuf are stored and read back as through the ingest thread', async () => {
    const client = await openDatabase('file::memory:', 'drizzle/collector')
    const db = drizzle(client, { schema })
    const write = createSpanWriter(db, DEFAULT_SETTINGS)
    const app = new Hono().post('/v1/traces', otlpReceiver({ write, maxBodyBytes: 64 * 1024 * 1024 }))
    try {
      expect((await postOtlp(app, request(30_000, 3, 4))).status).toBe(200)
      const response = await postOtlp(app, protobuf(request(30_010, 2, 5)), {
        'content-type': 'application/x-protobuf',
      })
      expect(response.status).toBe(200)
      expect((await db.select({ n: count() }).from(spans))[0]!.n).toBe(22)
      const [trace] = await Array.fromAsync(traceSlices(db, [hex(30_011, 32)]))
      expect(trace).toHaveLength(5)
      expect(trace![0]!.resource.serviceName).toBe('bulk')
      expect((await postOtlp(app, '[1]')).status).toBe(400)
    } finally {
      client.close()
    }
  })
})

async function fileOf(db: typeof collector.db): Promise<string> {
  const { rows } = await db.$client.execute("select file from pragma_database_list where name = 'main'")
  return String(rows[0]![0])
}
