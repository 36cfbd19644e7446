import { SpanKind, type Tracer } from '@opentelemetry/api'
import { ExportResultCode } from '@opentelemetry/core'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { Bench } from 'tinybench'
import { BoundedBatchSpanProcessor } from '../shared/telemetry/processor.ts'
import { createTelemetry } from '../shared/telemetry/provider.ts'
import { startOtlpSink } from './otlp-sink.ts'
import { figure, type SectionContext, type SectionResult } from './section.ts'

/** Below the batch size of both processors: one iteration is one export on flush, none in the middle. */
const SPANS_PER_ITERATION = 500
const PASSES = 5
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
 * our library against the same work through the official SDK components alone, in process. An iteration is 500
 * spans, then a flush.
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
    {
      work: 'start, attributes, end',
      stack: sdkStack('ours: BoundedBatchSpanProcessor', new BoundedBatchSpanProcessor(discardingExporter, BATCH)),
    },
    {
      work: 'start, attributes, end',
      stack: sdkStack('official: BatchSpanProcessor', new BatchSpanProcessor(discardingExporter, BATCH)),
    },
    { work: 'with export, OTLP/JSON', stack: ourStack('ours: createTelemetry (OtlpFetchExporter)', 'http/json') },
    {
      work: 'with export, OTLP/JSON',
      stack: sdkStack(
        'official: BatchSpanProcessor + OTLPTraceExporter',
        new BatchSpanProcessor(new OTLPTraceExporter({ url }), BATCH),
      ),
    },
    {
      work: 'with export, OTLP/protobuf',
      stack: ourStack('ours: createTelemetry (OtlpFetchExporter)', 'http/protobuf'),
    },
  ]

  // An exporter that fails fast would look cheap: check that each exporting stack reaches the sink.
  for (const { work, stack } of stacks.filter(({ work }) => work.startsWith('with export'))) {
    const before = sink.received().requests
    await spans(stack)
    if (sink.received().requests === before) throw new Error(`${stack.name}, ${work}: nothing reached the sink`)
  }

  // Several short passes over every stack rather than one long run each, so a noisy spell hits them all.
  const means = stacks.map(() => [] as number[])
  context.log(`span cost: ${stacks.length} stacks, ${PASSES} passes, ${SPANS_PER_ITERATION} spans an iteration`)
  for (let pass = 0; pass < PASSES; pass++) {
    const bench = new Bench({ time: 400, warmupTime: 100 })
    for (const { work, stack } of stacks) bench.add(`${stack.name}, ${work}`, () => spans(stack))
    await bench.run()
    bench.tasks.forEach((task, index) => {
      if ('latency' in task.result) means[index]!.push(task.result.latency.mean)
    })
  }
  sink.stop()

  const microsPerSpan = (iterationMs: number) => (iterationMs * 1000) / SPANS_PER_ITERATION
  const rows = stacks.map(({ work, stack }, index) => {
    const sorted = [...means[index]!].sort((a, b) => a - b)
    return {
      work,
      stack: stack.name,
      microsPerSpan: microsPerSpan(sorted[Math.floor(sorted.length / 2)] ?? NaN),
      passes: sorted.map(microsPerSpan),
    }
  })
  return {
    tables: [
      {
        columns: ['work', 'stack', 'µs per span, median pass', 'fastest pass', 'slowest pass'],
        rows: rows.map((row) => [
          row.work,
          row.stack,
          figure(row.microsPerSpan),
          figure(row.passes[0]!),
          figure(row.passes.at(-1)!),
        ]),
      },
    ],
    notes: [
      `Each iteration: ${SPANS_PER_ITERATION} INTERNAL spans with four attributes, then a flush. Same batch settings for both processors; the sink shares the process.`,
      `Measured with tinybench (${PASSES} passes over all stacks, 0.4 s each after warm-up): it takes an async iteration (the flush) and does the warm-up and timing a hand loop would re-implement.`,
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
