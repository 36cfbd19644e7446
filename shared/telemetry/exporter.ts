import { type ExportResult, ExportResultCode } from '@opentelemetry/core'
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer'
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base'
import { canGzip, gzip } from './compression.ts'
import type { OtlpCompression, OtlpProtocol, Warn } from './config.ts'
import type { Fetch } from './fetch.ts'
import { EncodedSpanBatch, encodeTraceRequest } from './otlp-protobuf.ts'
import { type BatchingSpanExporter, type SpanBatch, SpanList } from './processor.ts'

/** Names this exporter to the receiver, as the OTLP exporter spec asks (`OTel-OTLP-Exporter-JavaScript/…` style). */
export const USER_AGENT = 'otel-edge-shop-exporter/0.1.0'

export interface OtlpFetchExporterOptions {
  url: string
  protocol: OtlpProtocol
  /** Sent with every export; a `User-Agent` here replaces the exporter's own. */
  headers?: Record<string, string>
  /**
   * Time allowed for one export, every attempt and the waits between them included (OTEL_EXPORTER_OTLP_TIMEOUT):
   * a hanging collector holds one batch this long at most, never the batches after it for longer.
   */
  timeoutMillis?: number
  /** `gzip`: the body is compressed with `CompressionStream` and sent with `Content-Encoding: gzip`. */
  compression?: OtlpCompression
  /** Attempts per batch, the first one included, as long as the timeout leaves time for them. */
  maxAttempts?: number
  initialBackoffMillis?: number
  maxBackoffMillis?: number
  /** The transport; global fetch by default. Never a traced fetch, or exporting would make spans of its own. */
  fetch?: Fetch
  /** How the wait between attempts is spent; a timer by default. Tests pass one that records the wait instead. */
  sleep?: (millis: number) => Promise<void>
  /** The clock the timeout is measured by; `Date.now` by default. Tests pass one that their `sleep` moves on. */
  now?: () => number
  /** Where a setting this runtime cannot honour is reported, once. */
  warn?: Warn
}

/** What one HTTP attempt came to, as in the SDK's own exporter: retry only what the OTLP spec calls retryable. */
type AttemptOutcome =
  | { kind: 'success' }
  | { kind: 'failure'; error: Error }
  | { kind: 'retryable'; error: Error; retryAfterMillis?: number }

const RETRYABLE_STATUS = new Set([429, 502, 503, 504])

/**
 * OTLP/JSON through the official serializer; OTLP/protobuf through our own encoder, which writes the same bytes as
 * the official `ProtobufTraceSerializer` at a fraction of its cost (see otlp-protobuf.ts).
 */
const serializers = {
  'http/json': {
    serialize: (spans: ReadableSpan[]) => JsonTraceSerializer.serializeRequest(spans),
    contentType: 'application/json',
  },
  'http/protobuf': { serialize: encodeTraceRequest, contentType: 'application/x-protobuf' },
} as const

/**
 * An OTLP/HTTP span exporter that speaks `fetch` on every runtime. The payload is the official
 * `@opentelemetry/otlp-transformer`'s (JSON), or the same bytes from our encoder (protobuf); this file adds the
 * transport: gzip, a `User-Agent`, and retries with exponential backoff that honour `Retry-After`, all within one
 * timeout per export.
 */
export class OtlpFetchExporter implements BatchingSpanExporter {
  private readonly options: Required<Omit<OtlpFetchExporterOptions, 'headers' | 'compression' | 'warn'>>
  private readonly headers: Headers
  private readonly gzip: boolean
  private stopped = false
  /** The spans' bytes of the last encoded batch: the next one's first buffer is made that size. */
  private lastBatchBytes = 0

  constructor({ headers = {}, compression = 'none', warn = console.warn, ...options }: OtlpFetchExporterOptions) {
    this.options = {
      timeoutMillis: 10_000,
      maxAttempts: 5,
      initialBackoffMillis: 1_000,
      maxBackoffMillis: 5_000,
      fetch: (input, init) => fetch(input, init),
      sleep: (millis) => new Promise((resolve) => setTimeout(resolve, millis)),
      now: () => Date.now(),
      ...options,
    }
    this.gzip = compression === 'gzip' && canGzip
    if (compression === 'gzip' && !canGzip)
      warn('[telemetry] this runtime has no CompressionStream: exports are not gzipped')
    this.headers = new Headers({ 'user-agent': USER_AGENT })
    for (const [name, value] of Object.entries(headers)) {
      try {
        this.headers.set(name, value)
      } catch {
        warn(`[telemetry] the export header ${JSON.stringify(name)} is not a valid HTTP header; left out`)
      }
    }
    this.headers.set('content-type', serializers[this.options.protocol].contentType)
    if (this.gzip) this.headers.set('content-encoding', 'gzip')
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    // The callback must always come, or the processor waiting on it would wait forever.
    this.send(spans)
      .catch((error: Error) => ({ code: ExportResultCode.FAILED, error }))
      .then(resultCallback)
  }

  /** OTLP/protobuf: spans are encoded 64 at a time as they are added (see otlp-protobuf.ts); OTLP/JSON: at export. */
  newBatch(): SpanBatch {
    return this.options.protocol === 'http/protobuf' ? new EncodedSpanBatch(this.lastBatchBytes) : new SpanList()
  }

  exportBatch(batch: SpanBatch, resultCallback: (result: ExportResult) => void): void {
    let sent: Promise<ExportResult>
    if (batch instanceof EncodedSpanBatch) {
      const body = batch.request()
      this.lastBatchBytes = batch.spanBytes
      sent = this.sendBody(body)
    } else sent = this.send((batch as SpanList).spans)
    sent.catch((error: Error) => ({ code: ExportResultCode.FAILED, error })).then(resultCallback)
  }

  async send(spans: ReadableSpan[]): Promise<ExportResult> {
    const serialized = serializers[this.options.protocol].serialize(spans)
    if (!serialized) return { code: ExportResultCode.FAILED, error: new Error('spans could not be serialized') }
    return this.sendBody(serialized)
  }

  /** Sends a serialized request, gzipped if asked, retrying within the export's timeout. */
  private async sendBody(serialized: Uint8Array): Promise<ExportResult> {
    if (this.stopped) return { code: ExportResultCode.FAILED, error: new Error('exporter is shut down') }
    const { now, timeoutMillis, maxAttempts, maxBackoffMillis } = this.options
    const deadline = now() + timeoutMillis
    const body = this.gzip ? await gzip(serialized) : serialized

    let backoff = this.options.initialBackoffMillis
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.attempt(body, deadline - now())
      if (outcome.kind === 'success') return { code: ExportResultCode.SUCCESS }
      if (outcome.kind === 'failure' || attempt >= maxAttempts || this.stopped) {
        return { code: ExportResultCode.FAILED, error: outcome.error }
      }
      const jittered = backoff * (0.8 + Math.random() * 0.4)
      const wait = Math.min(outcome.retryAfterMillis ?? jittered, maxBackoffMillis)
      if (now() + wait >= deadline) {
        const error = new Error(`${outcome.error.message}; no time left to retry within ${timeoutMillis} ms`)
        return { code: ExportResultCode.FAILED, error }
      }
      await this.options.sleep(wait)
      backoff = Math.min(backoff * 2, maxBackoffMillis)
    }
  }

  /** One POST, given what is left of the export's time. */
  private async attempt(body: Uint8Array, remainingMillis: number): Promise<AttemptOutcome> {
    try {
      const response = await this.options.fetch(this.options.url, {
        method: 'POST',
        headers: this.headers,
        body: body as Uint8Array<ArrayBuffer>,
        signal: AbortSignal.timeout(Math.max(1, remainingMillis)),
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
