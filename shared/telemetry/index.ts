export { type Env, type OtlpProtocol, readTelemetryConfig, type TelemetryConfig } from './config.ts'
export { installContextManager } from './context.ts'
export { tracedDatabase } from './db.ts'
export { OtlpFetchExporter, type OtlpFetchExporterOptions, parseRetryAfter } from './exporter.ts'
export { type Fetch, tracedFetch } from './fetch.ts'
export { type HttpTracingOptions, httpTracing } from './middleware.ts'
export { type BatchOptions, BoundedBatchSpanProcessor, type ExportStats } from './processor.ts'
export {
  baggageValue,
  extractContext,
  injectContext,
  injectTraceContext,
  spanContextOf,
  traceparentOf,
  w3cPropagator,
} from './propagation.ts'
export { createTelemetry, type Telemetry, type TelemetryOptions } from './provider.ts'
export { samplerFromConfig } from './sampler.ts'
export { inSpan, markError } from './span.ts'
