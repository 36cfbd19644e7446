import { SpanKind, type Tracer } from '@opentelemetry/api'
import { ExportResultCode } from '@opentelemetry/core'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base'
import { Bench } from 'tinybench'
import { BoundedBatchSpanProcessor } from '../shared/telemetry/processor.ts'
import { createTelemetry } from '../shared/telemetry/provider.ts'
import { startOtlpSink } from './otlp-sink.ts'
import { figure, type SectionContext, type SectionResult } from './section.ts'

/** Below the batch size of both processors: one iteration is one export on flush, none in the middle. */
const SPANS_PER_ITERATION = 500
const BATCH = { maxQueueSize: 2048, maxExportBatchSize: 512, scheduledDelayMillis: 60_000 }

/** Accepts every batch and sends nothing: what remains is the span's own life and the processor's queueing. */
const discardingExporter: SpanExporter = {
  export: (_spans, done) => done({ code: ExportResultCode.SUCCESS }),
  shutdown: async () => {},
}

interface Stack {
  name: string
  tracer: Tracer
  flush(): Promise<void>
}

/**
 * Cost per span (start, four attributes, end, and with export: OTLP serialization and a POST to a loopback sink) of
 * our library against the same work through the official SDK components alone, in process. tinybench runs each
 * iteration (500 spans, then a flush) until its time is spent, after a warm-up.
 */
export async function spanCost(context: SectionContext): Promise<SectionResult> {
  const sink = startOtlpSink()
  const url = `${sink.endpoint}/v1/traces`
  const resource = resourceFromAttributes({ 'service.name': 'bench' })
  const sdkStack = (name: string, processor: SpanProcessor): Stack => {
    const provider = new BasicTracerProvider({ resource, spanProcessors: [processor] })
    return { name, tracer: provider.getTracer('bench'), flush: () => provider.forceFlush() }
  }
  const ourStack = (name: string, protocol: string): Stack => {
    const env = { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url, OTEL_EXPORTER_OTLP_PROTOCOL: protocol }
    const telemetry = createTelemetry({ env, serviceName: 'bench', batch: BATCH })
    return { name, tracer: telemetry.tracer, flush: () => telemetry.flush() }
  }
  const stacks: { work: string; stack: Stack }[] = [
    { work: 'start, attributes, end', stack: sdkStack('ours: BoundedBatchSpanProcessor', new BoundedBatchSpanProcessor(discardingExporter, BATCH)) },
    { work: 'start, attributes, end', stack: sdkStack('official: BatchSpanProcessor', new BatchSpanProcessor(discardingExporter, BATCH)) },
    { work: 'with export, OTLP/JSON', stack: ourStack('ours: createTelemetry (OtlpFetchExporter)', 'http/json') },
    { work: 'with export, OTLP/JSON', stack: sdkStack('official: BatchSpanProcessor + OTLPTraceExporter', new BatchSpanProcessor(new OTLPTraceExporter({ url }), BATCH)) },
    { work: 'with export, OTLP/protobuf', stack: ourStack('ours: createTelemetry (OtlpFetchExporter)', 'http/protobuf') },
  ]

  // An exporter that fails fast would look cheap: check that each exporting stack reaches the sink.
  for (const { work, stack } of stacks.filter(({ work }) => work.startsWith('with export'))) {
    const before = sink.received().requests
    await spans(stack)
    if (sink.received().requests === before) throw new Error(`${stack.name}, ${work}: nothing reached the sink`)
  }

  const bench = new Bench({ time: 1500, warmupTime: 300 })
  for (const { work, stack } of stacks) bench.add(`${stack.name}, ${work}`, () => spans(stack))
  context.log(`span cost: ${stacks.length} stacks, ${SPANS_PER_ITERATION} spans an iteration`)
  await bench.run()
  sink.stop()

  const rows = bench.tasks.map((task, index) => {
    const { work, stack } = { work: stacks[index]!.work, stack: stacks[index]!.stack.name }
    const result = task.result
    if (!('latency' in result)) return { work, stack, nsPerSpan: NaN, rme: NaN, iterations: 0 }
    const nsPerSpan = (result.latency.mean * 1e6) / SPANS_PER_ITERATION
    return { work, stack, nsPerSpan, rme: result.latency.rme, iterations: result.latency.samplesCount }
  })
  return {
    tables: [
      {
        columns: ['work', 'stack', 'µs per span', '± %', 'iterations'],
        rows: rows.map((row) => [row.work, row.stack, figure(row.nsPerSpan / 1000), figure(row.rme), row.iterations]),
      },
    ],
    notes: [
      `Each iteration: ${SPANS_PER_ITERATION} INTERNAL spans with four attributes, then a flush. Same batch settings for both processors; the sink shares the process.`,
      'Measured with tinybench: it takes an async iteration (the flush), warms up, and gives a margin of error that a hand loop would have to re-implement.',
    ],
    data: { spansPerIteration: SPANS_PER_ITERATION, rows },
  }
}

async function spans({ tracer, flush }: Stack): Promise<void> {
  for (let i = 0; i < SPANS_PER_ITERATION; i++) {
    const span = tracer.startSpan('inventory.reserve', { kind: SpanKind.INTERNAL })
    span.setAttribute('order.id', 'ord_0123456789')
    span.setAttribute('user.id', 'u-42')
    span.setAttribute('items.count', 3)
    span.setAttribute('order.total', 125.5)
    span.end()
  }
  await flush()
}
