import { ProxyTracerProvider, type Tracer } from '@opentelemetry/api'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base'
import { type Env, readTelemetryConfig } from './config.ts'
import { installContextManager } from './context.ts'
import { OtlpFetchExporter, type OtlpFetchExporterOptions } from './exporter.ts'
import { type BatchOptions, BoundedBatchSpanProcessor, type ExportStats } from './processor.ts'
import { samplerFromConfig } from './sampler.ts'

export interface Telemetry {
  /** The tracer of this service; services open spans for their own work with it and never touch the SDK. */
  readonly tracer: Tracer
  /** Sends every finished span now; a Worker hands this to `ctx.waitUntil` after each request. */
  flush(): Promise<void>
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
}

const EMPTY_STATS: ExportStats = { queued: 0, exported: 0, failed: 0, dropped: 0 }

/**
 * One tracer provider per service, not registered globally, so several services can share a process (tests do)
 * and still report their own `service.name`.
 */
export function createTelemetry(options: TelemetryOptions): Telemetry {
  installContextManager()
  const config = readTelemetryConfig(options.env, options.serviceName)
  if (config.disabled) {
    // The no-op tracer still carries incoming trace context through to downstream calls.
    const tracer = new ProxyTracerProvider().getTracer(config.serviceName)
    return { tracer, flush: async () => {}, shutdown: async () => {}, stats: () => EMPTY_STATS }
  }
  const exporter = new OtlpFetchExporter({
    url: config.tracesEndpoint,
    protocol: config.protocol,
    headers: config.headers,
    timeoutMillis: config.exportTimeoutMillis,
    ...options.exporter,
  })
  const processor = new BoundedBatchSpanProcessor(exporter, { ...config.batch, ...options.batch })
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      ...options.resource,
      ...config.resourceAttributes,
      'service.name': config.serviceName,
      'telemetry.sdk.language': 'webjs',
      'telemetry.sdk.name': 'opentelemetry',
    }),
    sampler: samplerFromConfig(config.sampler, config.samplerArg),
    spanProcessors: [processor],
  })
  return {
    tracer: provider.getTracer(config.serviceName),
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
    stats: () => processor.stats(),
  }
}
