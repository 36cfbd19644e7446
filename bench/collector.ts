// Collector figures, over HTTP against the collector's own process as `bun run dev` starts it: ingest spans/s for
// OTLP/JSON and protobuf, how long /healthz takes to answer while spans pour in and a tag search runs, and query
// latency with a million spans stored. `bun run bench:collector` prints them as JSON; `bun run bench` reports them.
import { rm } from 'node:fs/promises'
import { fromJson, type JsonValue, toBinary } from '@bufbuild/protobuf'
import { ExportTraceServiceRequest } from '../collector/otlp/proto-schema.ts'
import { type CommandSpec, readCommandLine } from '../scripts/cli.ts'
import { bigTrace } from '../test/collector/big-trace.ts'
import { freshEnvironment, repositoryRoot, waitUntil } from '../test/support/environment.ts'
import { processCpuMs } from './process-cpu.ts'
import { figure, type Goal, quantile, type SectionContext, type SectionResult } from './section.ts'

type Encoding = 'json' | 'protobuf'

export interface Responsiveness {
  encoding: Encoding
  /** Spans/s of the ingest the probes ran beside. */
  ingestSpansPerSecond: number
  healthzProbes: number
  healthzMs: { p50: number; p99: number; max: number }
  /** The one tag search issued a third of the way in: a needle (one order id) in everything stored. */
  tagSearchMs: number
}

/** A whole 50k-span trace read through one of the query APIs, and /healthz meanwhile. */
export interface BigTraceRead {
  api: 'v1' | 'v3'
  ms: number
  megabytes: number
  healthzWorstMs: number
}

export interface CollectorFigures {
  spansStored: number
  ingestJsonSpansPerSecond: number
  ingestProtobufSpansPerSecond: number
  /** CPU of the collector's process (all its threads) a span in each of the two ingests, µs; NaN off Linux. */
  ingestJsonCpuMicrosPerSpan: number
  ingestProtobufCpuMicrosPerSpan: number
  /** Protobuf, while the store grows from the measured spans to `spansStored`. */
  fillSpansPerSecond: number
  responsiveness: Responsiveness[]
  traceByIdMs: { p50: number; p95: number }
  searchServiceMinDurationMs: { p50: number; p95: number }
  tagSearchMs: { p50: number; p95: number }
  bigTrace: BigTraceRead[]
}

export const GOALS = { ingestSpansPerSecond: 60_000, healthzWorstMs: 100 }

/** Spans of each encoding sent before the timed ingests. */
const WARM_UP_SPANS = 20_000

const SPANS_PER_TRACE = 10
const TRACES_PER_REQUEST = 50
export const SPANS_PER_REQUEST = TRACES_PER_REQUEST * SPANS_PER_TRACE
const CONCURRENCY = 4
const HEALTHZ_EVERY_MS = 10
/** Spans of the one big trace read whole through each query API (Grafana and Jaeger UI load a trace that way). */
const BIG_TRACE_SPANS = 50_000
const BIG_TRACE_ID = 'b16000000000000000000000000000ff'
const SERVICES = ['gateway', 'order', 'inventory', 'payment']
const hex = (n: number, length: number) => n.toString(16).padStart(length, '0')
const base64 = (hexId: string) => Buffer.from(hexId, 'hex').toString('base64')
const orderId = (trace: number) => `ord-${hex(trace, 8)}`

/**
 * One request of 500 spans (50 traces of 10); trace `n` has spans of every service, its root an `order.id`, one
 * span slow every 100th trace and one in error every 50th.
 */
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
                  // Sampled, parent local: what an SDK sends.
                  flags: 257,
                  startTimeUnixNano: String(start),
                  endTimeUnixNano: String(start + BigInt(ms) * 1_000_000n),
                  attributes: [
                    { key: 'http.route', value: { stringValue: `/api/${index}` } },
                    { key: 'items.count', value: { intValue: String(index) } },
                    ...(index === 0 ? [{ key: 'order.id', value: { stringValue: orderId(trace) } }] : []),
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

/** The collector as `bun run dev` runs it (`bun collector/bun.ts`), on a free port with a fresh data folder. */
async function startCollector(maxSpans: number) {
  const environment = await freshEnvironment('collector')
  const url = `http://127.0.0.1:${environment.ports.collector}`
  const output: string[] = []
  const child = Bun.spawn([process.execPath, 'collector/bun.ts'], {
    cwd: repositoryRoot,
    env: { ...process.env, ...environment.env, COLLECTOR_MAX_SPANS: String(maxSpans) },
    stdout: 'ignore',
    stderr: 'pipe',
  })
  void new Response(child.stderr).text().then((text) => output.push(text))
  const up = await waitUntil(
    () =>
      fetch(`${url}/healthz`).then(
        (response) => response.ok,
        () => false,
      ),
    30_000,
  )
  const stop = async () => {
    child.kill('SIGTERM')
    await child.exited
    await rm(environment.dataDir, { recursive: true, force: true })
  }
  if (!up) {
    await stop()
    throw new Error(`the collector did not start:\n${output.join('')}`)
  }
  // µs; NaN where there is no `/proc`.
  return { url, stop, cpuMicros: () => (processCpuMs(child.pid) ?? Number.NaN) * 1000 }
}

export async function benchCollector({
  spans = 1_000_000,
  measuredSpans = 50_000,
  concurrency = CONCURRENCY,
}: {
  /** Stored at the end: the store is filled to this before the responsiveness runs and the queries. */
  spans?: number
  /** Spans of each timed ingest. */
  measuredSpans?: number
  /** Requests in flight. */
  concurrency?: number
} = {}): Promise<CollectorFigures> {
  const collector = await startCollector(spans * 2)
  let nextTrace = 0
  const body = (encoding: Encoding) => {
    const first = nextTrace
    nextTrace += TRACES_PER_REQUEST
    return encoding === 'json'
      ? JSON.stringify(request(first, (id) => id.toUpperCase()))
      : toBinary(
          ExportTraceServiceRequest,
          fromJson(ExportTraceServiceRequest, request(first, base64) as unknown as JsonValue),
        )
  }
  /** Posts `total` spans over HTTP, four requests in flight; bodies are encoded before the clock starts. */
  const ingest = async (
    encoding: Encoding,
    total: number,
    { onStart, progress }: { onStart?: () => void; progress?: { sent: number; of: number } } = {},
  ) => {
    const bodies = Array.from({ length: Math.ceil(total / SPANS_PER_REQUEST) }, () => body(encoding))
    const headers = { 'content-type': encoding === 'json' ? 'application/json' : 'application/x-protobuf' }
    if (progress) progress.of = bodies.length
    const started = performance.now()
    onStart?.()
    let next = 0
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < bodies.length) {
          const response = await fetch(`${collector.url}/v1/traces`, { method: 'POST', headers, body: bodies[next++]! })
          if (progress) progress.sent = next
          await response.arrayBuffer()
          if (response.status !== 200) throw new Error(`ingest answered ${response.status}`)
        }
      }),
    )
    return Math.round((bodies.length * SPANS_PER_REQUEST) / ((performance.now() - started) / 1000))
  }
  const timed = async (path: string) => {
    const started = performance.now()
    const response = await fetch(`${collector.url}${path}`)
    await response.arrayBuffer()
    if (response.status !== 200) throw new Error(`${path} answered ${response.status}`)
    return performance.now() - started
  }
  /** A needle: the trace of one order, by its id; a trace from the oldest tenth, so the search reads most rows. */
  const tagSearchPath = () =>
    `/api/traces?service=gateway&tags=${encodeURIComponent(JSON.stringify({ 'order.id': orderId(Math.floor(Math.random() * (nextTrace / 10))) }))}&limit=20`

  /** /healthz asked every 10 ms, one at a time, while `running()`; `each` after each answer. Its times, ms. */
  const probeHealthz = async (running: () => boolean, each?: () => void) => {
    const times: number[] = []
    while (running()) {
      times.push(await timed('/healthz'))
      each?.()
      await Bun.sleep(HEALTHZ_EVERY_MS)
    }
    return times
  }

  /** A whole trace of 50k spans read through each query API, with /healthz asked meanwhile. */
  const readBigTrace = async (): Promise<BigTraceRead[]> => {
    const response = await fetch(`${collector.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(bigTrace(BIG_TRACE_ID, BIG_TRACE_SPANS)),
    })
    if (response.status !== 200) throw new Error(`the big trace was refused: ${response.status}`)
    const reads: BigTraceRead[] = []
    for (const api of ['v1', 'v3'] as const) {
      let reading = true
      const probing = probeHealthz(() => reading)
      const started = performance.now()
      const answer = await fetch(`${collector.url}/api/${api === 'v1' ? '' : 'v3/'}traces/${BIG_TRACE_ID}`)
      const bytes = (await answer.arrayBuffer()).byteLength
      const ms = performance.now() - started
      reading = false
      if (answer.status !== 200) throw new Error(`the big trace through ${api} answered ${answer.status}`)
      const healthz = await probing
      reads.push({
        api,
        ms: Math.round(ms),
        megabytes: Number((bytes / 1e6).toFixed(1)),
        healthzWorstMs: Number(Math.max(...healthz).toFixed(2)),
      })
    }
    return reads
  }

  /** Ingest with /healthz asked every 10 ms (one at a time) and one tag search a third of the way in. */
  const responsiveness = async (encoding: Encoding): Promise<Responsiveness> => {
    let ingesting = true
    let tagSearch: Promise<number> | undefined
    let probing: Promise<number[]> | undefined
    const progress = { sent: 0, of: 1 }
    const ingestSpansPerSecond = await ingest(encoding, measuredSpans, {
      progress,
      onStart: () => {
        probing = probeHealthz(
          () => ingesting,
          () => {
            if (!tagSearch && progress.sent >= progress.of / 3) tagSearch = timed(tagSearchPath())
          },
        )
      },
    })
    ingesting = false
    const healthz = (await probing) ?? []
    const tagSearchMs = await (tagSearch ?? timed(tagSearchPath()))
    const sorted = [...healthz].sort((a, b) => a - b)
    return {
      encoding,
      ingestSpansPerSecond,
      healthzProbes: healthz.length,
      healthzMs: {
        p50: Number(quantile(sorted, 0.5).toFixed(2)),
        p99: Number(quantile(sorted, 0.99).toFixed(2)),
        max: Number(sorted.at(-1)!.toFixed(2)),
      },
      tagSearchMs: Number(tagSearchMs.toFixed(2)),
    }
  }

  try {
    const cpuPerSpan = async (encoding: Encoding) => {
      const before = collector.cpuMicros()
      const spansPerSecond = await ingest(encoding, measuredSpans)
      return { spansPerSecond, cpu: Number(((collector.cpuMicros() - before) / measuredSpans).toFixed(1)) }
    }
    // A collector runs for hours: its rate is that of a warm process, not of its first second, when the JIT is still
    // compiling the ingest path. Each encoding is sent once untimed first.
    for (const encoding of ['json', 'protobuf'] as const) await ingest(encoding, WARM_UP_SPANS)
    const json = await cpuPerSpan('json')
    const protobuf = await cpuPerSpan('protobuf')
    const ingestJsonSpansPerSecond = json.spansPerSecond
    const ingestProtobufSpansPerSecond = protobuf.spansPerSecond
    // Filled so that the two responsiveness runs bring the store to `spans`.
    const fillTo = spans - 2 * measuredSpans
    const fillFrom = nextTrace * SPANS_PER_TRACE
    const fillStarted = performance.now()
    while (nextTrace * SPANS_PER_TRACE < fillTo)
      await ingest('protobuf', Math.min(measuredSpans, fillTo - nextTrace * SPANS_PER_TRACE))
    const filled = nextTrace * SPANS_PER_TRACE - fillFrom
    const fillSpansPerSecond = filled > 0 ? Math.round(filled / ((performance.now() - fillStarted) / 1000)) : Number.NaN
    const responsive = [await responsiveness('json'), await responsiveness('protobuf')]
    const byId: number[] = []
    const search: number[] = []
    const tags: number[] = []
    for (let index = 0; index < 50; index++) {
      byId.push(await timed(`/api/traces/${hex(Math.floor(Math.random() * nextTrace) + 1, 32)}`))
      search.push(await timed(`/api/traces?service=${SERVICES[index % 4]}&minDuration=1s&limit=20`))
      if (index % 5 === 0) tags.push(await timed(tagSearchPath()))
    }
    const bigTraceReads = await readBigTrace()
    return {
      spansStored: nextTrace * SPANS_PER_TRACE,
      ingestJsonSpansPerSecond,
      ingestProtobufSpansPerSecond,
      ingestJsonCpuMicrosPerSpan: json.cpu,
      ingestProtobufCpuMicrosPerSpan: protobuf.cpu,
      fillSpansPerSecond,
      responsiveness: responsive,
      traceByIdMs: percentiles(byId),
      searchServiceMinDurationMs: percentiles(search),
      tagSearchMs: percentiles(tags),
      bigTrace: bigTraceReads,
    }
  } finally {
    await collector.stop()
  }
}

/** The bench command's part: the figures above as a report section. */
export async function collectorSection(context: SectionContext): Promise<SectionResult> {
  const spans = context.quick ? 300_000 : 1_000_000
  context.log(`collector: ingest over HTTP, /healthz while ingesting, queries with ${spans.toLocaleString('en')} spans`)
  const figures = await benchCollector({ spans })
  const worst = Math.max(...figures.responsiveness.map((run) => run.healthzMs.max))
  const bigWorst = Math.max(...figures.bigTrace.map((read) => read.healthzWorstMs))
  const goals: Goal[] = [
    ...(['json', 'protobuf'] as const).map((encoding) => {
      const value = encoding === 'json' ? figures.ingestJsonSpansPerSecond : figures.ingestProtobufSpansPerSecond
      return {
        id: `ingest-${encoding}`,
        measure: `collector ingest over HTTP, OTLP/${encoding === 'json' ? 'JSON' : 'protobuf'}, ${SPANS_PER_REQUEST}-span requests, ${CONCURRENCY} in flight`,
        measured: `${figure(value / 1000)}k spans/s`,
        goal: `≥ ${GOALS.ingestSpansPerSecond / 1000}k spans/s`,
        met: value >= GOALS.ingestSpansPerSecond,
      }
    }),
    {
      id: 'healthz',
      measure: 'collector /healthz while ingesting (JSON and protobuf) plus one tag search',
      measured: `${figure(worst)} ms worst (${figures.responsiveness
        .map((run) => `${run.encoding === 'json' ? 'JSON' : 'protobuf'} ${figure(run.healthzMs.max)}`)
        .join(', ')})`,
      goal: `≤ ${GOALS.healthzWorstMs} ms`,
      met: worst <= GOALS.healthzWorstMs,
    },
    {
      id: 'healthz-big-trace',
      measure: `collector /healthz while a ${BIG_TRACE_SPANS.toLocaleString('en')}-span trace is read whole (Jaeger v1, api_v3)`,
      measured: `${figure(bigWorst)} ms worst (${figures.bigTrace
        .map((read) => `${read.api} ${figure(read.healthzWorstMs)}, the trace in ${figure(read.ms)} ms`)
        .join('; ')})`,
      goal: `≤ ${GOALS.healthzWorstMs} ms`,
      met: bigWorst <= GOALS.healthzWorstMs,
    },
  ]
  const stored = figures.spansStored.toLocaleString('en')
  return {
    goals,
    tables: [
      {
        columns: ['measure', 'value'],
        rows: [
          ['ingest, OTLP/JSON, empty store (spans/s)', figures.ingestJsonSpansPerSecond],
          ['ingest, OTLP/protobuf, empty store (spans/s)', figures.ingestProtobufSpansPerSecond],
          [
            "the collector's CPU a span in those two ingests, JSON / protobuf (µs, all its threads)",
            `${figure(figures.ingestJsonCpuMicrosPerSpan)} / ${figure(figures.ingestProtobufCpuMicrosPerSpan)}`,
          ],
          [
            `ingest, OTLP/protobuf, filling the store on the way to ${stored} spans (spans/s)`,
            figure(figures.fillSpansPerSecond),
          ],
          ['trace by id, p50 / p95 (ms)', `${figure(figures.traceByIdMs.p50)} / ${figure(figures.traceByIdMs.p95)}`],
          [
            'search service + minDuration=1s, p50 / p95 (ms)',
            `${figure(figures.searchServiceMinDurationMs.p50)} / ${figure(figures.searchServiceMinDurationMs.p95)}`,
          ],
          [
            'search service + one order.id tag, p50 / p95 (ms)',
            `${figure(figures.tagSearchMs.p50)} / ${figure(figures.tagSearchMs.p95)}`,
          ],
        ],
      },
      {
        columns: [
          'while ingesting',
          'ingest spans/s',
          '/healthz probes',
          '/healthz p50 ms',
          '/healthz p99 ms',
          '/healthz worst ms',
          'the tag search, ms',
        ],
        rows: figures.responsiveness.map((run) => [
          run.encoding === 'json' ? 'OTLP/JSON' : 'OTLP/protobuf',
          run.ingestSpansPerSecond,
          run.healthzProbes,
          figure(run.healthzMs.p50),
          figure(run.healthzMs.p99),
          figure(run.healthzMs.max),
          figure(run.tagSearchMs),
        ]),
      },
    ],
    notes: [
      `The collector's own process (bun collector/bun.ts, as bun run dev starts it) on a free port, over HTTP on loopback: ${SPANS_PER_REQUEST} spans a request, ${CONCURRENCY} in flight, bodies encoded before timing, after ${WARM_UP_SPANS.toLocaleString('en')} spans of each encoding sent untimed (a warm process); the client shares the two cores.`,
      `"Empty store": 50,000 spans each into a new store. Then the store is filled to ${stored} spans, and 50,000 spans more are sent per encoding while /healthz is asked every ${HEALTHZ_EVERY_MS} ms (one at a time) and one tag search runs a third of the way in: a search for one order's trace by its order.id among everything stored, which reads most rows.`,
      `Last, one trace of ${BIG_TRACE_SPANS.toLocaleString('en')} spans (the viewer test's generated batch job) is stored and read whole through /api/traces/{id} and /api/v3/traces/{id}, as Grafana and Jaeger UI load a trace, with /healthz asked every ${HEALTHZ_EVERY_MS} ms meanwhile.`,
    ],
    data: { goals: GOALS, ...figures },
  }
}

const BENCH_COLLECTOR_COMMAND = {
  name: 'bench:collector',
  summary:
    "Starts the collector's own process on a free port with a temporary data folder, ingests spans over HTTP\n" +
    '(OTLP/JSON and protobuf), fills it to a million spans, times /healthz while ingesting with a tag search, then\n' +
    'trace-by-id and search queries; prints the figures as JSON.',
  options: {},
  examples: ['bun run bench:collector > collector.json'],
} as const satisfies CommandSpec

if (import.meta.main) {
  readCommandLine(BENCH_COLLECTOR_COMMAND)
  console.log(JSON.stringify(await benchCollector(), null, 2))
}
