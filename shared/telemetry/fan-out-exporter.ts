import { type ExportResult, ExportResultCode } from '@opentelemetry/core'
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base'

/**
 * Several exporters behind one (OTEL_TRACES_EXPORTER=otlp,console): every batch goes to each of them; the batch
 * counts as exported only if all of them took it.
 */
export class FanOutSpanExporter implements SpanExporter {
  constructor(private readonly exporters: SpanExporter[]) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    Promise.all(this.exporters.map((exporter) => exportTo(exporter, spans))).then((results) =>
      resultCallback(results.find((result) => result.code !== ExportResultCode.SUCCESS) ?? results[0]!),
    )
  }

  async forceFlush(): Promise<void> {
    await Promise.all(this.exporters.map((exporter) => exporter.forceFlush?.()))
  }

  async shutdown(): Promise<void> {
    await Promise.all(this.exporters.map((exporter) => exporter.shutdown()))
  }
}

function exportTo(exporter: SpanExporter, spans: ReadableSpan[]): Promise<ExportResult> {
  return new Promise((resolve) => {
    try {
      exporter.export(spans, resolve)
    } catch (error) {
      resolve({ code: ExportResultCode.FAILED, error: error as Error })
    }
  })
}
