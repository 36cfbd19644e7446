import type { Context } from '@opentelemetry/api'
import { ExportResultCode } from '@opentelemetry/core'
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base'

export interface BatchOptions {
  /** Spans held at most; beyond it new spans are dropped and counted, never blocking the request. */
  maxQueueSize?: number
  maxExportBatchSize?: number
  /** Delay before a partial batch is sent; 0 sends only on `forceFlush` (Workers flush after every request). */
  scheduledDelayMillis?: number
  /**
   * Time an export may take before its batch counts as failed and the next one goes (OTEL_BSP_EXPORT_TIMEOUT): an
   * exporter that never answers cannot hold every later batch.
   */
  exportTimeoutMillis?: number
}

export interface ExportStats {
  queued: number
  exported: number
  failed: number
  dropped: number
}

/**
 * A batch span processor with a bounded queue that counts what it drops. The SDK's BatchSpanProcessor drops too,
 * but keeps the count private and depends on timers, which do not run after a Worker has answered; here the
 * timer is optional (flush-only mode) and `forceFlush` sends everything queued.
 */
export class BoundedBatchSpanProcessor implements SpanProcessor {
  private readonly maxQueueSize: number
  private readonly maxExportBatchSize: number
  private readonly scheduledDelayMillis: number
  private readonly exportTimeoutMillis: number
  private queue: ReadableSpan[] = []
  private draining: Promise<void> | undefined
  private timer: ReturnType<typeof setTimeout> | undefined
  private readonly counts = { exported: 0, failed: 0, dropped: 0 }

  constructor(
    private readonly exporter: SpanExporter,
    options: BatchOptions = {},
  ) {
    this.maxQueueSize = options.maxQueueSize ?? 2048
    this.maxExportBatchSize = options.maxExportBatchSize ?? 512
    this.scheduledDelayMillis = options.scheduledDelayMillis ?? 1000
    this.exportTimeoutMillis = options.exportTimeoutMillis ?? 30_000
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & 1) === 0) return
    if (this.queue.length >= this.maxQueueSize) {
      this.counts.dropped++
      return
    }
    this.queue.push(span)
    if (this.flushOnly) return
    if (this.queue.length >= this.maxExportBatchSize) void this.drain()
    else this.schedule()
  }

  stats(): ExportStats {
    return { queued: this.queue.length, ...this.counts }
  }

  /**
   * Sends every span queued now. In flush-only mode (a Worker) each call exports on its own, never waiting on an
   * export another request started: workerd cancels a request that waits on another request's I/O.
   */
  forceFlush(): Promise<void> {
    return this.flushOnly ? this.exportQueued() : this.drain()
  }

  async shutdown(): Promise<void> {
    await this.drain()
    await this.exporter.shutdown()
  }

  /** No timer and no background export: spans leave only on `forceFlush` (timers do not run after a Worker answered). */
  private get flushOnly(): boolean {
    return this.scheduledDelayMillis <= 0
  }

  private schedule(): void {
    if (this.timer) return
    this.timer = unref(setTimeout(() => void this.drain(), this.scheduledDelayMillis))
  }

  /** One drain at a time: batches go out in order and a slow collector cannot pile up concurrent exports. */
  private drain(): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    this.draining ??= this.exportQueued().finally(() => {
      this.draining = undefined
    })
    return this.draining
  }

  private async exportQueued(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxExportBatchSize)
      const result = await this.exportBatch(batch)
      if (result.code === ExportResultCode.SUCCESS) this.counts.exported += batch.length
      else this.counts.failed += batch.length
    }
  }

  /** The exporter's answer, or FAILED once the export timeout has passed without one. */
  private exportBatch(batch: ReadableSpan[]): Promise<{ code: ExportResultCode }> {
    return new Promise((resolve) => {
      const timer = unref(setTimeout(() => resolve({ code: ExportResultCode.FAILED }), this.exportTimeoutMillis))
      const answer = (result: { code: ExportResultCode }) => {
        clearTimeout(timer)
        resolve(result)
      }
      try {
        this.exporter.export(batch, answer)
      } catch {
        answer({ code: ExportResultCode.FAILED })
      }
    })
  }
}

/** A pending export must not keep a process alive that is otherwise done. */
function unref<T>(timer: T): T {
  if (typeof timer === 'object' && timer && 'unref' in timer) (timer as { unref(): void }).unref()
  return timer
}
