import { SpanKind, SpanStatusCode } from '@opentelemetry/api'
import { type ExportResult, ExportResultCode, hrTimeToMilliseconds } from '@opentelemetry/core'
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base'

/**
 * OTEL_TRACES_EXPORTER=console: each span is one line of JSON on the console (stdout on Bun and Deno, the Worker's
 * logs on Workers), so it can be read, grepped, or piped to `jq`. The SDK's ConsoleSpanExporter prints several lines
 * of `util.inspect` per span instead.
 */
export class ConsoleSpanExporter implements SpanExporter {
  constructor(private readonly write: (line: string) => void = console.log) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    try {
      for (const span of spans) this.write(JSON.stringify(spanLine(span)))
      resultCallback({ code: ExportResultCode.SUCCESS })
    } catch (error) {
      resultCallback({ code: ExportResultCode.FAILED, error: error as Error })
    }
  }

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {}
}

export function spanLine(span: ReadableSpan) {
  const context = span.spanContext()
  return {
    name: span.name,
    traceId: context.traceId,
    spanId: context.spanId,
    parentSpanId: span.parentSpanContext?.spanId,
    kind: SpanKind[span.kind],
    service: span.resource.attributes['service.name'],
    start: new Date(hrTimeToMilliseconds(span.startTime)).toISOString(),
    durationMs: hrTimeToMilliseconds(span.duration),
    status: { code: SpanStatusCode[span.status.code], message: span.status.message },
    attributes: span.attributes,
    events: span.events.map((event) => ({ name: event.name, attributes: event.attributes })),
    links: span.links.map((link) => ({ traceId: link.context.traceId, spanId: link.context.spanId })),
  }
}
