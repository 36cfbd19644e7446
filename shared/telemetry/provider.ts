import type { Tracer } from '@opentelemetry/api'
import { resourceFromAttributes } from '@opentelemetry/resources'
import type { SpanExporter } from '@opentelemetry/sdk-trace-base'
import { type Env, readTelemetryConfig, type TelemetryConfig, type Warn } from './config.ts'
import { ConsoleSpanExporter } from './console-exporter.ts'
import { installContextManager } from './context.ts'
import { OtlpFetchExporter, type OtlpFetchExporterOptions } from './exporter.ts'
import { FanOutSpanExporter } from './fan-out-exporter.ts'
import { type BatchOptions, BoundedBatchSpanProcessor, type ExportStats } from './processor.ts'
import { samplerFromConfig } from './sampler.ts'
import { LeanTracer } from './tracer.ts'
import { UntracedTracer } from './untraced-tracer.ts'

export interface Telemetry {
  /** The tracer of this service; services open spans for their own work with it and never touch the SDK. */
  readonly tracer: Tracer
  /** Sends every finished span now (a Worker's cron run hands this to `ctx.waitUntil`). */
  flush(): Promise<void>
  /**
   * Sends the spans finished so far within OTEL_BSP_SCHEDULE_DELAY, in one export with those finished meanwhile: a
   * Worker hands this to `ctx.waitUntil` after each request, so requests that end together share an export.
   */
  flushSoon(): Promise<void>
  shutdown(): Promise<void>
  /** Spans waiting, exported, failed and dropped since start. */
  stats(): ExportStats
}

export interface TelemetryOptions {
  env: Env
  /** Used when neither OTEL_SERVICE_NAME nor OTEL_RESOURCE_ATTRIBUTES names the service. */
  serviceName: string
  /** Extra resource attributes of the runtime, e.g. `process.runtime.name`. */
  resource?: Record<string, string>
  batch?: BatchOptions
  exporter?: Partial<OtlpFetchExporterOptions>
  /** Where a configuration value that makes no sense is reported, one line each; console.warn by default. */
  warn?: Warn
}

const EMPTY_STATS: ExportStats = { queued: 0, exported: 0, failed: 0, dropped: 0 }

/**
 * One tracer provider per service, not registered globally, so several services can share a process (tests do)
 * and still report their own `service.name`.
 */
export function createTelemetry(options: TelemetryOptions): Telemetry {
  installContextManager()
  const warn = options.warn ?? console.warn
  const config = readTelemetryConfig(options.env, options.serviceName, { warn })
  if (config.disabled) {
    // Still carries incoming trace context through to downstream calls, as the API's no-op tracer does.
    const tracer = new UntracedTracer()
    const nothing = async () => {}
    return { tracer, flush: nothing, flushSoon: nothing, shutdown: nothing, stats: () => EMPTY_STATS }
  }
  const exporter = spanExporter(config, options, warn)
  // OTEL_TRACES_EXPORTER=none: spans are still made and sampled (trace ids, propagation), then go nowhere.
  const processor = exporter && new BoundedBatchSpanProcessor(exporter, { ...config.batch, ...options.batch })
  // The SDK's provider and tracer, less their cost a span: see tracer.ts.
  const tracer = new LeanTracer({
    resource: resourceFromAttributes({
      ...options.resource,
      ...config.resourceAttributes,
      'service.name': config.serviceName,
      'telemetry.sdk.language': 'webjs',
      'telemetry.sdk.name': 'opentelemetry',
    }),
    scope: { name: config.serviceName, version: undefined, schemaUrl: undefined },
    ...samplerFromConfig(config.sampler, config.samplerRatio),
    // Every limit given, so nothing falls back to reading process.env (Workers have none).
    spanLimits: config.spanLimits,
    processor,
  })
  return {
    tracer,
    flush: async () => processor?.forceFlush(),
    flushSoon: async () => processor?.flushAfter(config.batch.scheduledDelayMillis),
    shutdown: async () => processor?.shutdown(),
    stats: () => processor?.stats() ?? EMPTY_STATS,
  }
}

/** The exporters OTEL_TRACES_EXPORTER names, as one; undefined for `none`. */
function spanExporter(config: TelemetryConfig, options: TelemetryOptions, warn: Warn): SpanExporter | undefined {
  const exporters = config.exporters.map((name) =>
    name === 'console'
      ? new ConsoleSpanExporter()
      : new OtlpFetchExporter({
          url: config.otlp.endpoint,
          protocol: config.otlp.protocol,
          headers: config.otlp.headers,
          timeoutMillis: config.otlp.timeoutMillis,
          compression: config.otlp.compression,
          warn,
          ...options.exporter,
        }),
  )
  return exporters.length > 1 ? new FanOutSpanExporter(exporters) : exporters[0]
}
