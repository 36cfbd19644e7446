// Collector figures: ingest spans/s for OTLP JSON and protobuf, and query latency with a million spans stored.
// `bun run bench:collector`, or `await benchCollector()` from the bench command.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fromJson, type JsonValue, toBinary } from '@bufbuild/protobuf'
import { drizzle } from 'drizzle-orm/libsql'
import { createCollectorApp } from '../collector/app.ts'
import { ExportTraceServiceRequest } from '../collector/otlp/proto-schema.ts'
import * as schema from '../collector/schema.ts'
import { DEFAULT_SETTINGS } from '../collector/settings.ts'
import { openDatabase } from '../runtime/database.ts'
import { type CommandSpec, readCommandLine } from '../scripts/cli.ts'
import { figure, quantile, type SectionRun } from './section.ts'

export interface CollectorFigures {
  spansStored: number
  ingestJsonSpansPerSecond: number
  ingestProtobufSpansPerSecond: number
  traceByIdMs: { p50: number; p95: number }
  searchServiceMinDurationMs: { p50: number; p95: number }
}

const SPANS_PER_TRACE = 10
const TRACES_PER_REQUEST = 50
const SERVICES = ['gateway', 'order', 'inventory', 'payment']
const hex = (n: number, length: number) => n.toString(16).padStart(length, '0')
const base64 = (hexId: string) => Buffer.from(hexId, 'hex').toString('base64')

/** One request of 500 spans; trace `n` has spans of every service, one of them slow every 100th trace. */
function request(firstTrace: number, idForm: (hexId: string) => string) {
  const now = BigInt(Date.now()) * 1_000_000n
  return {
    resourceSpans: SERVICES.map((service, serviceIndex) => ({
      resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
      scopeSpans: [
        {
          scope: { name: 'bench' },
          spans: Array.from({ length: TRACES_PER_REQUEST }, (_, offset) => firstTrace + offset).flatMap((trace) =>
            Array.from({ length: SPANS_PER_TRACE }, (_, index) => index)
              .filter((index) => index % SERVICES.length === serviceIndex)
              .map((index) => {
                const start = now - BigInt(trace % 40_000) * 1_000_000_000n + BigInt(index) * 1_000_000n
                const ms = trace % 100 === 0 && index === 1 ? 1500 : 5 + index
                return {
                  traceId: idForm(hex(trace + 1, 32)),
                  spanId: idForm(hex(trace * 16 + index + 1, 16)),
                  ...(index === 0 ? {} : { parentSpanId: idForm(hex(trace * 16 + 1, 16)) }),
                  name: `${service}.op${index}`,
                  kind: 2,
                  startTimeUnixNano: String(start),
                  endTimeUnixNano: String(start + BigInt(ms) * 1_000_000n),
                  attributes: [
                    { key: 'http.route', value: { stringValue: `/api/${index}` } },
                    { key: 'items.count', value: { intValue: String(index) } },
                  ],
                  events: index === 2 ? [{ timeUnixNano: String(start), name: 'check_item', attributes: [] }] : [],
                  status: { code: trace % 50 === 0 && index === 3 ? 2 : 0 },
                }
              }),
          ),
        },
      ],
    })),
  }
}

const percentiles = (samples: number[]) => {
  const at = (q: number) => Number(quantile(samples, q).toFixed(2))
  return { p50: at(0.5), p95: at(0.95) }
}

export async function benchCollector({
  spans = 1_000_000,
  measuredSpans = 50_000,
  concurrency = 4,
} = {}): Promise<CollectorFigures> {
  const dir = await mkdtemp(join(tmpdir(), 'collector-bench-'))
  const client = await openDatabase(`file:${dir}/collector.db`, 'drizzle/collector')
  const app = createCollectorApp({
    db: drizzle(client, { schema }),
    settings: { ...DEFAULT_SETTINGS, maxSpans: spans * 2 },
  })
  const spansPerRequest = TRACES_PER_REQUEST * SPANS_PER_TRACE
  let nextTrace = 0
  const body = (encoding: 'json' | 'protobuf') => {
    const first = nextTrace
    nextTrace += TRACES_PER_REQUEST
    return encoding === 'json'
      ? JSON.stringify(request(first, (id) => id.toUpperCase()))
      : toBinary(
          ExportTraceServiceRequest,
          fromJson(ExportTraceServiceRequest, request(first, base64) as unknown as JsonValue),
        )
  }
  /** Posts `total` spans, `concurrency` requests at a time; bodies are encoded before the clock starts. */
  const ingest = async (encoding: 'json' | 'protobuf', total: number) => {
    const bodies = Array.from({ length: Math.ceil(total / spansPerRequest) }, () => body(encoding))
    const headers = { 'content-type': encoding === 'json' ? 'application/json' : 'application/x-protobuf' }
    const started = performance.now()
    let next = 0
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < bodies.length) {
          const response = await app.request('/v1/traces', { method: 'POST', headers, body: bodies[next++]! })
          if (response.status !== 200) throw new Error(`ingest answered ${response.status}`)
        }
      }),
    )
    return Math.round((bodies.length * spansPerRequest) / ((performance.now() - started) / 1000))
  }
  try {
    const ingestJsonSpansPerSecond = await ingest('json', measuredSpans)
    const ingestProtobufSpansPerSecond = await ingest('protobuf', measuredSpans)
    while (nextTrace * SPANS_PER_TRACE < spans)
      await ingest('protobuf', Math.min(measuredSpans, spans - nextTrace * SPANS_PER_TRACE))
    const timed = async (path: string) => {
      const started = performance.now()
      const response = await app.request(path)
      if (response.status !== 200) throw new Error(`${path} answered ${response.status}`)
      await response.json()
      return performance.now() - started
    }
    const byId: number[] = []
    const search: number[] = []
    for (let index = 0; index < 50; index++) {
      byId.push(await timed(`/api/traces/${hex(Math.floor(Math.random() * nextTrace) + 1, 32)}`))
      search.push(await timed(`/api/traces?service=${SERVICES[index % 4]}&minDuration=1s&limit=20`))
    }
    return {
      spansStored: nextTrace * SPANS_PER_TRACE,
      ingestJsonSpansPerSecond,
      ingestProtobufSpansPerSecond,
      traceByIdMs: percentiles(byId),
      searchServiceMinDurationMs: percentiles(search),
    }
  } finally {
    client.close()
    await rm(dir, { recursive: true, force: true })
  }
}

/** The bench command's part: the figures above as a report section. */
export const collectorSection: SectionRun = async (context) => {
  context.log('collector: ingesting a million spans, then querying')
  const figures = await benchCollector()
  return {
    tables: [
      {
        columns: ['measure', 'value'],
        rows: [
          ['ingest, OTLP/JSON (spans/s)', figures.ingestJsonSpansPerSecond],
          ['ingest, OTLP/protobuf (spans/s)', figures.ingestProtobufSpansPerSecond],
          ['trace by id, p50 / p95 (ms)', `${figure(figures.traceByIdMs.p50)} / ${figure(figures.traceByIdMs.p95)}`],
          [
            'search service + minDuration=1s, p50 / p95 (ms)',
            `${figure(figures.searchServiceMinDurationMs.p50)} / ${figure(figures.searchServiceMinDurationMs.p95)}`,
          ],
        ],
      },
    ],
    notes: [
      `${figures.spansStored.toLocaleString('en')} spans stored in a libSQL file; ingest through the collector's own app (no sockets), 500 spans a request, 4 in flight, bodies encoded before timing.`,
    ],
    data: figures,
  }
}

const BENCH_COLLECTOR_COMMAND = {
  name: 'bench:collector',
  summary:
    "Ingests a million spans through the collector's app (OTLP/JSON and protobuf, no sockets) into a libSQL file in a\n" +
    'temporary folder, then times trace-by-id and search queries; prints the figures as JSON.',
  options: {},
  examples: ['bun run bench:collector > collector.json'],
} as const satisfies CommandSpec

if (import.meta.main) {
  readCommandLine(BENCH_COLLECTOR_COMMAND)
  console.log(JSON.stringify(await benchCollector(), null, 2))
}
