import type { SpanLimits } from '@opentelemetry/sdk-trace-base'
import { type Env, EnvValues, type Warn } from './env-values.ts'
import { BATCH_DEFAULTS, type BatchOptions } from './processor.ts'

export type { Env, Warn } from './env-values.ts'

export type OtlpProtocol = 'http/protobuf' | 'http/json'
export type OtlpCompression = 'gzip' | 'none'
/** Where finished spans go (OTEL_TRACES_EXPORTER); `none` is an empty list. */
export type TracesExporterName = 'otlp' | 'console'

export const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const
export type SamplerName = (typeof SAMPLERS)[number]

export interface OtlpConfig {
  /** The full traces URL. */
  endpoint: string
  protocol: OtlpProtocol
  headers: Record<string, string>
  /** Time allowed for one export, its retries included. */
  timeoutMillis: number
  compression: OtlpCompression
}

export interface TelemetryConfig {
  disabled: boolean
  serviceName: string
  resourceAttributes: Record<string, string>
  exporters: TracesExporterName[]
  otlp: OtlpConfig
  sampler: SamplerName
  /** The ratio of the `traceidratio` samplers (OTEL_TRACES_SAMPLER_ARG). */
  samplerRatio: number
  /** OTEL_BSP_*; how many exports may be in flight is the processor's own (no variable says it). */
  batch: Required<Omit<BatchOptions, 'maxConcurrentExports'>>
  spanLimits: Required<SpanLimits>
}

const DEFAULT_ENDPOINT = 'http://localhost:4318'
const TLS_FILES = ['CERTIFICATE', 'CLIENT_KEY', 'CLIENT_CERTIFICATE']

/**
 * Reads the standard OTEL_* variables (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/,
 * and the OTLP exporter's: https://opentelemetry.io/docs/specs/otel/protocol/exporter/). A per-signal variable
 * (`OTEL_EXPORTER_OTLP_TRACES_*`) wins over the general one. Never throws: a value that makes no sense is one
 * warning line, prefixed with the service, and the spec's default.
 */
export function readTelemetryConfig(
  env: Env,
  defaultServiceName: string,
  { warn = console.warn }: { warn?: Warn } = {},
): TelemetryConfig {
  const report: Warn = (message) => warn(`[telemetry] ${defaultServiceName}: ${message}`)
  const values = new EnvValues(env, report)
  const resourceAttributes = values.keyValues(['OTEL_RESOURCE_ATTRIBUTES'])
  warnUnsupported(values, report)
  const sampler = values.choice(['OTEL_TRACES_SAMPLER'], SAMPLERS, 'parentbased_always_on')
  return {
    disabled: values.boolean('OTEL_SDK_DISABLED'),
    serviceName: values.string('OTEL_SERVICE_NAME') || resourceAttributes['service.name'] || defaultServiceName,
    resourceAttributes,
    exporters: tracesExporters(values, report),
    otlp: {
      endpoint: tracesEndpoint(values, report),
      protocol: protocol(values, report),
      headers: values.keyValues(['OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_TRACES_HEADERS'], isHeader),
      timeoutMillis: values.integer(['OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', 'OTEL_EXPORTER_OTLP_TIMEOUT'], 10_000, {
        min: 1,
      }),
      compression: values.choice(
        ['OTEL_EXPORTER_OTLP_TRACES_COMPRESSION', 'OTEL_EXPORTER_OTLP_COMPRESSION'],
        ['gzip', 'none'] as const,
        'none',
      ),
    },
    sampler,
    // The argument means something to the ratio samplers only; the others ignore it, as the spec says.
    samplerRatio: sampler.endsWith('traceidratio')
      ? values.number(['OTEL_TRACES_SAMPLER_ARG'], 1, { min: 0, max: 1 })
      : 1,
    batch: batchOptions(values, report),
    spanLimits: spanLimits(values),
  }
}

/** A comma-separated list; `none` alone exports nothing. Unknown names are a warning; nothing valid left is otlp. */
function tracesExporters(values: EnvValues, warn: Warn): TracesExporterName[] {
  const found = values.first('OTEL_TRACES_EXPORTER')
  if (!found) return ['otlp']
  const names = found.value
    .toLowerCase()
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean)
  const chosen = [...new Set(names.filter((name): name is TracesExporterName => name === 'otlp' || name === 'console'))]
  const none = names.includes('none')
  const result: TracesExporterName[] = chosen.length > 0 ? chosen : none ? [] : ['otlp']
  const unknown = names.filter((name) => name !== 'otlp' && name !== 'console' && name !== 'none')
  if (unknown.length > 0 || (none && chosen.length > 0)) {
    warn(
      `OTEL_TRACES_EXPORTER=${JSON.stringify(found.value)} is not valid (expected otlp, console or none, or a list ` +
        `of otlp and console); using ${result.join(',') || 'none'}`,
    )
  }
  return result
}

/** gRPC cannot be spoken with fetch (nor at all on Workers): it becomes http/protobuf, with one warning. */
function protocol(values: EnvValues, warn: Warn): OtlpProtocol {
  const found = values.first('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL')
  const value = found?.value.toLowerCase()
  if (!found || value === 'http/protobuf' || value === 'http/json') return (value as OtlpProtocol) ?? 'http/protobuf'
  if (value === 'grpc') {
    warn(
      `${found.name}=grpc is not supported (this exporter speaks OTLP/HTTP over fetch, which every runtime has); ` +
        'using http/protobuf: point the endpoint at an OTLP/HTTP receiver (port 4318, not 4317)',
    )
  } else {
    warn(
      `${found.name}=${JSON.stringify(found.value)} is not valid (expected http/protobuf or http/json); using http/protobuf`,
    )
  }
  return 'http/protobuf'
}

/** The per-signal endpoint is used as is; the general one gets `/v1/traces` appended, as the spec says. */
function tracesEndpoint(values: EnvValues, warn: Warn): string {
  const general = values.first('OTEL_EXPORTER_OTLP_ENDPOINT')
  let fallback = `${DEFAULT_ENDPOINT}/v1/traces`
  if (general && isHttpUrl(general.value)) fallback = `${general.value.replace(/\/+$/, '')}/v1/traces`
  else if (general) warn(`${general.name}=${JSON.stringify(general.value)} is not an http(s) URL; using ${fallback}`)
  const signal = values.first('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT')
  if (signal && isHttpUrl(signal.value)) return signal.value
  if (signal) warn(`${signal.name}=${JSON.stringify(signal.value)} is not an http(s) URL; using ${fallback}`)
  return fallback
}

function batchOptions(values: EnvValues, warn: Warn): TelemetryConfig['batch'] {
  const maxQueueSize = values.integer(['OTEL_BSP_MAX_QUEUE_SIZE'], BATCH_DEFAULTS.maxQueueSize, { min: 1 })
  let maxExportBatchSize = values.integer(['OTEL_BSP_MAX_EXPORT_BATCH_SIZE'], BATCH_DEFAULTS.maxExportBatchSize, {
    min: 1,
  })
  if (maxExportBatchSize > maxQueueSize) {
    warn(
      `OTEL_BSP_MAX_EXPORT_BATCH_SIZE=${maxExportBatchSize} is over OTEL_BSP_MAX_QUEUE_SIZE=${maxQueueSize}; ` +
        `using ${maxQueueSize}`,
    )
    maxExportBatchSize = maxQueueSize
  }
  return {
    // 0 would be the processor's flush-only mode (Workers), where spans leave only on an explicit flush; from the
    // environment it means "do not wait", so the shortest delay.
    scheduledDelayMillis: Math.max(1, values.integer(['OTEL_BSP_SCHEDULE_DELAY'], BATCH_DEFAULTS.scheduledDelayMillis)),
    exportTimeoutMillis: values.integer(['OTEL_BSP_EXPORT_TIMEOUT'], BATCH_DEFAULTS.exportTimeoutMillis, { min: 1 }),
    maxQueueSize,
    maxExportBatchSize,
  }
}

/** The span-specific limits win over the general attribute limits (OTEL_ATTRIBUTE_*), which win over the defaults. */
function spanLimits(values: EnvValues): Required<SpanLimits> {
  const attributeCount = values.integer(['OTEL_ATTRIBUTE_COUNT_LIMIT'], 128)
  const valueLength = values.integer(['OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT'], Number.POSITIVE_INFINITY)
  return {
    attributeValueLengthLimit: values.integer(['OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT'], valueLength),
    attributeCountLimit: values.integer(['OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT'], attributeCount),
    eventCountLimit: values.integer(['OTEL_SPAN_EVENT_COUNT_LIMIT'], 128),
    linkCountLimit: values.integer(['OTEL_SPAN_LINK_COUNT_LIMIT'], 128),
    attributePerEventCountLimit: values.integer(['OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT'], attributeCount),
    attributePerLinkCountLimit: values.integer(['OTEL_LINK_ATTRIBUTE_COUNT_LIMIT'], attributeCount),
  }
}

/** Variables an OpenTelemetry user may set that this library cannot honour: said once, rather than ignored silently. */
function warnUnsupported(values: EnvValues, warn: Warn): void {
  for (const file of TLS_FILES) {
    const found = values.first(`OTEL_EXPORTER_OTLP_TRACES_${file}`, `OTEL_EXPORTER_OTLP_${file}`)
    if (found) {
      warn(
        `${found.name} is not supported (fetch takes no TLS files on Bun, Deno and Workers); the runtime's trust store is used`,
      )
    }
  }
  const propagators = values.first('OTEL_PROPAGATORS')
  const names = new Set(propagators?.value.split(',').map((name) => name.trim().toLowerCase()))
  if (propagators && !(names.size === 2 && names.has('tracecontext') && names.has('baggage'))) {
    warn(`OTEL_PROPAGATORS=${JSON.stringify(propagators.value)} is not supported; tracecontext,baggage is used`)
  }
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value)
    return url.protocol === 'http:' || url.protocol === 'https:'
  } catch {
    return false
  }
}

/** What `fetch` would refuse as a header, refused here once instead of failing every export. */
function isHeader(key: string, value: string): boolean {
  try {
    new Headers([[key, value]])
    return true
  } catch {
    return false
  }
}
