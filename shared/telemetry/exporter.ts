import { type ExportResult, ExportResultCode } from '@opentelemetry/core'
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base'
import type { OtlpProtocol } from './config.ts'
import type { Fetch } from './fetch.ts'

export interface OtlpFetchExporterOptions {
  url: string
  protocol: OtlpProtocol
  headers?: Record<string, string>
  /** Time allowed for one HTTP attempt. */
  timeoutMillis?: number
  /** Attempts per batch, the first one included. */
  maxAttempts?: number
  initialBackoffMillis?: number
  maxBackoffMillis?: number
  /** The transport; global fetch by default. Never a traced fetch, or exporting would make spans of its own. */
  fetch?: Fetch
  /** How the wait between attempts is spent; a timer by default. Tests pass one that records the wait instead. */
  sleep?: (millis: number) => Promise<void>
}

/** What one HTTP attempt came to, as in the SDK's own exporter: retry only what the OTLP spec calls retryable. */
type AttemptOutcome =
  | { kind: 'success' }
  | { kind: 'failure'; error: Error }
  | { kind: 'retryable'; error: Error; retryAfterMillis?: number }

const RETRYABLE_STATUS = new Set([429, 502, 503, 504])

const serializers = {
  'http/json': { serializer: JsonTraceSerializer, contentType: 'application/json' },
  'http/protobuf': { serializer: ProtobufTraceSerializer, contentType: 'application/x-protobuf' },
} as const

/**
 * An OTLP/HTTP span exporter that speaks `fetch` on every runtime. The payload comes from the official
 * `@opentelemetry/otlp-transformer` serializers; this file only adds the transport: per-attempt timeout and
 * retries with exponential backoff that honour `Retry-After`.
 */
export class OtlpFetchExporter implements SpanExporter {
  private readonly options: Required<OtlpFetchExporterOptions>
  private stopped = false

  constructor(options: OtlpFetchExporterOptions) {
    this.options = {
      headers: {},
      timeoutMillis: 10_000,
      maxAttempts: 5,
      initialBackoffMillis: 1_000,
      maxBackoffMillis: 5_000,
      fetch: (input, init) => fetch(input, init),
      sleep: (millis) => new Promise((resolve) => setTimeout(resolve, millis)),
      ...options,
    }
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    // The callback must always come, or the processor waiting on it would wait forever.
    this.send(spans)
      .catch((error: Error) => ({ code: ExportResultCode.FAILED, error }))
      .then(resultCallback)
  }

  async send(spans: ReadableSpan[]): Promise<ExportResult> {
    if (this.stopped) return { code: ExportResultCode.FAILED, error: new Error('exporter is shut down') }
    const { serializer, contentType } = serializers[this.options.protocol]
    const body = serializer.serializeRequest(spans)
    if (!body) return { code: ExportResultCode.FAILED, error: new Error('spans could not be serialized') }

    let backoff = this.options.initialBackoffMillis
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.attempt(body, contentType)
      if (outcome.kind === 'success') return { code: ExportResultCode.SUCCESS }
      if (outcome.kind === 'failure' || attempt >= this.options.maxAttempts || this.stopped) {
        return { code: ExportResultCode.FAILED, error: outcome.error }
      }
      const jittered = backoff * (0.8 + Math.random() * 0.4)
      const wait = Math.min(outcome.retryAfterMillis ?? jittered, this.options.maxBackoffMillis)
      await this.options.sleep(wait)
      backoff = Math.min(backoff * 2, this.options.maxBackoffMillis)
    }
  }

  private async attempt(body: Uint8Array, contentType: string): Promise<AttemptOutcome> {
    try {
      const response = await this.options.fetch(this.options.url, {
        method: 'POST',
        headers: { ...this.options.headers, 'content-type': contentType },
        body: body as Uint8Array<ArrayBuffer>,
        signal: AbortSignal.timeout(this.options.timeoutMillis),
      })
      await response.body?.cancel()
      if (response.ok) return { kind: 'success' }
      const error = new Error(`OTLP export to ${this.options.url} answered ${response.status}`)
      if (!RETRYABLE_STATUS.has(response.status)) return { kind: 'failure', error }
      return { kind: 'retryable', error, retryAfterMillis: parseRetryAfter(response.headers.get('retry-after')) }
    } catch (cause) {
      // Network errors and timeouts are transient: the collector may be restarting.
      return { kind: 'retryable', error: cause instanceof Error ? cause : new Error(String(cause)) }
    }
  }

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {
    this.stopped = true
  }
}

/** `Retry-After` is either delay-seconds or an HTTP-date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}
