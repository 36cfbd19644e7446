import type { Context } from '@opentelemetry/api'
import { type ExportResult, ExportResultCode } from '@opentelemetry/core'
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base'

export interface BatchOptions {
  /** Spans waiting at most; beyond it new spans are dropped and counted, never blocking the request. */
  maxQueueSize?: number
  maxExportBatchSize?: number
  /** Delay before a partial batch is sent; 0 sends only on `forceFlush` (Workers flush after every request). */
  scheduledDelayMillis?: number
  /**
   * Time an export may take before its batch counts as failed and the next one goes (OTEL_BSP_EXPORT_TIMEOUT): an
   * exporter that never answers cannot hold every later batch.
   */
  exportTimeoutMillis?: number
  /**
   * Exports in flight at most. A second one starts only when a full batch waits while the first is still out (a
   * burst, a slow collector); spans held are then at most `maxQueueSize` waiting plus this many batches in flight.
   */
  maxConcurrentExports?: number
}

/**
 * The defaults when no OTEL_BSP_* variable says otherwise. The spec's queue of 2048 is less than one burst of 200
 * orders makes in the order service alone (about 20 spans an order): the queue here holds four such bursts.
 */
export const BATCH_DEFAULTS = {
  maxQueueSize: 8192,
  maxExportBatchSize: 512,
  scheduledDelayMillis: 1000,
  exportTimeoutMillis: 30_000,
  maxConcurrentExports: 4,
} as const satisfies Required<BatchOptions>

/** Spans on their way to an exporter, up to a batch of them, in the form the exporter takes. */
export interface SpanBatch {
  /** Spans added so far. */
  readonly size: number
  /** Spans added but lost on the way (one that could not be encoded): counted as failed, never as exported. */
  readonly lost?: number
  /** Takes the span; never throws, since it runs inside `span.end()`: a span it cannot keep is counted in `lost`. */
  add(span: ReadableSpan): void
}

/**
 * An exporter that takes spans in batches of its own: an encoding one (OTLP/protobuf) encodes spans soon after they
 * are added, so what waits in the queue is bytes and the spans' objects die young. Kept until the export, a span's
 * dozen objects outlive the garbage collector's young generation and are collected with the old one: on Deno, whose
 * collector logs it (`--v8-flags=--trace-gc`), old-generation collections cost the traced shop 230 µs of CPU an
 * order more than the untraced one with spans queued as objects, 60 with them queued as bytes.
 */
export interface BatchingSpanExporter extends SpanExporter {
  newBatch(): SpanBatch
  exportBatch(batch: SpanBatch, resultCallback: (result: ExportResult) => void): void
}

/** The batch of an exporter that takes `ReadableSpan`s: the spans themselves. */
export class SpanList implements SpanBatch {
  readonly spans: ReadableSpan[] = []

  get size(): number {
    return this.spans.length
  }

  add(span: ReadableSpan): void {
    this.spans.push(span)
  }
}

function isBatching(exporter: SpanExporter): exporter is BatchingSpanExporter {
  return typeof (exporter as Partial<BatchingSpanExporter>).newBatch === 'function'
}

export interface ExportStats {
  queued: number
  exported: number
  failed: number
  dropped: number
}

/**
 * A batch span processor with a bounded queue that counts what it drops. The SDK's BatchSpanProcessor drops too,
 * but keeps the count private, sends one batch at a time and depends on timers, which do not run after a Worker has
 * answered; here a full batch leaves at once, a backlog is sent over several exports at a time, and the timer is
 * optional (flush-only mode) with `forceFlush` sending everything queued.
 */
export class BoundedBatchSpanProcessor implements SpanProcessor {
  private readonly maxQueueSize: number
  private readonly maxExportBatchSize: number
  private readonly scheduledDelayMillis: number
  private readonly exportTimeoutMillis: number
  private readonly maxConcurrentExports: number
  /** The exporter, when it makes its batches itself. */
  private readonly batchingExporter: BatchingSpanExporter | undefined
  /** Spans waiting, a batch at a time: every batch full but the last. */
  private readonly batches: SpanBatch[] = []
  private queued = 0
  /** Export loops running, each sending batches while spans wait: at most `maxConcurrentExports`. */
  private readonly lanes = new Set<Promise<void>>()
  private timer: ReturnType<typeof setTimeout> | undefined
  private readonly counts = { exported: 0, failed: 0, dropped: 0 }
  /** Spans ever queued, and ever taken off the queue for an export: `flushAfter` compares its mark with the latter. */
  private queuedTotal = 0
  private takenTotal = 0

  constructor(
    private readonly exporter: SpanExporter,
    options: BatchOptions = {},
  ) {
    this.maxQueueSize = options.maxQueueSize ?? BATCH_DEFAULTS.maxQueueSize
    this.maxExportBatchSize = options.maxExportBatchSize ?? BATCH_DEFAULTS.maxExportBatchSize
    this.scheduledDelayMillis = options.scheduledDelayMillis ?? BATCH_DEFAULTS.scheduledDelayMillis
    this.exportTimeoutMillis = options.exportTimeoutMillis ?? BATCH_DEFAULTS.exportTimeoutMillis
    this.maxConcurrentExports = Math.max(1, options.maxConcurrentExports ?? BATCH_DEFAULTS.maxConcurrentExports)
    this.batchingExporter = isBatching(exporter) ? exporter : undefined
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & 1) === 0) return
    if (this.queued >= this.maxQueueSize) {
      this.counts.dropped++
      return
    }
    let batch = this.batches.at(-1)
    if (!batch || batch.size >= this.maxExportBatchSize) {
      batch = this.batchingExporter?.newBatch() ?? new SpanList()
      this.batches.push(batch)
    }
    batch.add(span)
    this.queued++
    this.queuedTotal++
    if (this.flushOnly) return
    // A full batch goes now, on a new lane if every running one is busy with an export of its own.
    if (this.queued >= this.maxExportBatchSize) this.startLane()
    else if (this.lanes.size === 0) this.schedule()
  }

  stats(): ExportStats {
    return { queued: this.queued, ...this.counts }
  }

  /**
   * Sends every span queued now. In flush-only mode (a Worker) each call exports on its own, never waiting on an
   * export another request started: workerd cancels a request that waits on another request's I/O.
   */
  forceFlush(): Promise<void> {
    return this.flushOnly ? this.exportQueued() : this.drain()
  }

  /**
   * Flush-only mode (a Worker, after each request): the spans queued now leave within `delayMs`, in one export with
   * those other requests queue meanwhile. The first caller whose delay ends sends a batch from the head of the queue,
   * and more only until its own spans have left; a caller whose spans have left with it by then has nothing to send
   * and returns, never waiting on that export (workerd cancels a request that waits on another request's I/O). Under
   * load that is about an export a delay instead of one a request.
   */
  async flushAfter(delayMs: number): Promise<void> {
    const mark = this.queuedTotal
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs))
    // Only as far as its own spans: under steady load the queue never empties, and a request that chased it would
    // export for everyone else, past its subrequest limit and waitUntil's time.
    await this.exportQueued(mark)
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
    this.timer = unref(
      setTimeout(() => {
        this.timer = undefined
        if (this.lanes.size === 0) this.startLane()
      }, this.scheduledDelayMillis),
    )
  }

  /** Sends everything queued, with as many lanes as allowed, and settles once every export in flight has. */
  private async drain(): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    while (this.queued > 0 || this.lanes.size > 0) {
      while (this.queued > 0 && this.lanes.size < this.maxConcurrentExports) this.startLane()
      await Promise.all(this.lanes)
    }
  }

  private startLane(): void {
    if (this.lanes.size >= this.maxConcurrentExports) return
    clearTimeout(this.timer)
    this.timer = undefined
    const lane: Promise<void> = this.lane().finally(() => {
      this.lanes.delete(lane)
      // What is left is less than a batch: it waits for the delay, as any partial batch does.
      if (this.queued > 0 && this.lanes.size === 0) this.schedule()
    })
    this.lanes.add(lane)
  }

  /**
   * Exports the batch at the head of the queue (full, or partial once the delay has passed), then goes on while
   * full batches wait. It does not chase the few spans that came in during an export: under steady load that would
   * be an export of a handful of spans after every answer instead of one of a batch or a delay's worth.
   */
  private async lane(): Promise<void> {
    do await this.exportAndCount(this.takeBatch())
    while (this.queued >= this.maxExportBatchSize)
  }

  /**
   * Takes batches off the queue and exports them one after another until it is empty, or until the spans queued
   * before `mark` (a count of `queuedTotal`) have all been taken.
   */
  private async exportQueued(mark = Number.POSITIVE_INFINITY): Promise<void> {
    while (this.takenTotal < mark && this.queued > 0) await this.exportAndCount(this.takeBatch())
  }

  private takeBatch(): SpanBatch | undefined {
    const batch = this.batches.shift()
    this.queued -= batch?.size ?? 0
    this.takenTotal += batch?.size ?? 0
    return batch
  }

  /**
   * Exports a batch and counts its spans. The batch is held until the exporter answers; an encoded one has let go of
   * the buffers its spans were written into by then (see otlp-protobuf.ts), keeping only the request's body.
   */
  private async exportAndCount(batch: SpanBatch | undefined): Promise<void> {
    const count = batch?.size ?? 0
    if (!batch || count === 0) return
    const result = await this.exportBatch(batch)
    // Spans the batch lost on the way (known once its request is made) never left, whatever the answer.
    const lost = batch.lost ?? 0
    this.counts.failed += lost
    if (result.code === ExportResultCode.SUCCESS) this.counts.exported += count - lost
    else this.counts.failed += count - lost
  }

  /** The exporter's answer, or FAILED once the export timeout has passed without one. */
  private exportBatch(batch: SpanBatch): Promise<{ code: ExportResultCode }> {
    return new Promise((resolve) => {
      const timer = unref(setTimeout(() => resolve({ code: ExportResultCode.FAILED }), this.exportTimeoutMillis))
      const answer = (result: { code: ExportResultCode }) => {
        clearTimeout(timer)
        resolve(result)
      }
      try {
        if (this.batchingExporter) this.batchingExporter.exportBatch(batch, answer)
        else this.exporter.export((batch as SpanList).spans, answer)
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
