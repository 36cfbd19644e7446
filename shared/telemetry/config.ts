import { parseKeyPairsIntoRecord } from '@opentelemetry/core'

/** Environment as a plain record: `process.env` on Bun and Deno, the env bindings on Workers. */
export type Env = Record<string, string | undefined>

export type OtlpProtocol = 'http/protobuf' | 'http/json'

export interface TelemetryConfig {
  disabled: boolean
  serviceName: string
  resourceAttributes: Record<string, string>
  tracesEndpoint: string
  protocol: OtlpProtocol
  headers: Record<string, string>
  exportTimeoutMillis: number
  sampler: string
  samplerArg: string | undefined
  batch: { scheduledDelayMillis?: number; maxQueueSize?: number; maxExportBatchSize?: number }
}

const DEFAULT_ENDPOINT = 'http://localhost:4318'

/** Reads the standard OTEL_* variables (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/). */
export function readTelemetryConfig(env: Env, defaultServiceName: string): TelemetryConfig {
  const resourceAttributes = parseKeyPairsIntoRecord(env.OTEL_RESOURCE_ATTRIBUTES)
  const protocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf'
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    throw new Error(`OTEL_EXPORTER_OTLP_PROTOCOL=${protocol} is not supported: use http/protobuf or http/json`)
  }
  return {
    disabled: env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true',
    serviceName: env.OTEL_SERVICE_NAME || resourceAttributes['service.name'] || defaultServiceName,
    resourceAttributes,
    tracesEndpoint: tracesEndpoint(env),
    protocol,
    headers: {
      ...parseKeyPairsIntoRecord(env.OTEL_EXPORTER_OTLP_HEADERS),
      ...parseKeyPairsIntoRecord(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS),
    },
    exportTimeoutMillis:
      optionalNumber(env.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT ?? env.OTEL_EXPORTER_OTLP_TIMEOUT) ?? 10_000,
    sampler: env.OTEL_TRACES_SAMPLER?.trim() || 'parentbased_always_on',
    samplerArg: env.OTEL_TRACES_SAMPLER_ARG,
    batch: {
      scheduledDelayMillis: optionalNumber(env.OTEL_BSP_SCHEDULE_DELAY),
      maxQueueSize: optionalNumber(env.OTEL_BSP_MAX_QUEUE_SIZE),
      maxExportBatchSize: optionalNumber(env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE),
    },
  }
}

/** The signal-specific variable is used as is; the generic one gets `/v1/traces` appended, as the spec says. */
function tracesEndpoint(env: Env): string {
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
  const base = (env.OTEL_EXPORTER_OTLP_ENDPOINT || DEFAULT_ENDPOINT).replace(/\/+$/, '')
  return `${base}/v1/traces`
}

function optionalNumber(value: string | undefined): number | undefined {
  const number = Number(value)
  return value !== undefined && value !== '' && Number.isFinite(number) && number >= 0 ? number : undefined
}
