import { fromBinary, toJson } from '@bufbuild/protobuf'
import { parseId } from '../../collector/otlp/ids.ts'
import { ExportTraceServiceRequest } from '../../collector/otlp/proto-schema.ts'
import { type FlatSpan, flattenExportRequest, SPAN_KIND } from './otlp-json.ts'

/**
 * An OTLP/HTTP endpoint on loopback that keeps every span it receives: JSON or protobuf, plain or gzip, as a
 * collector takes them. `requests` says how each export came (content type, encoding, user agent).
 */
export function startOtlpReceiver() {
  const spans: FlatSpan[] = []
  const requests: { contentType: string | null; contentEncoding: string | null; userAgent: string | null }[] = []
  /** Waits in progress; each looks again whenever spans arrive. */
  const waits = new Set<() => void>()
  const server = Bun.serve({
    port: 0,
    async fetch(request) {
      const contentType = request.headers.get('content-type')
      const contentEncoding = request.headers.get('content-encoding')
      if (contentType !== 'application/json' && contentType !== 'application/x-protobuf')
        return new Response('JSON or protobuf only', { status: 415 })
      requests.push({ contentType, contentEncoding, userAgent: request.headers.get('user-agent') })
      const body =
        contentEncoding === 'gzip' ? request.body!.pipeThrough(new DecompressionStream('gzip')) : request.body
      const bytes = new Uint8Array(await new Response(body).arrayBuffer())
      spans.push(
        ...flattenExportRequest(
          contentType === 'application/json' ? JSON.parse(new TextDecoder().decode(bytes)) : protobufAsJson(bytes),
        ),
      )
      for (const check of [...waits]) check()
      return Response.json({})
    },
  })

  /**
   * Settles with `read()` as soon as `ready` holds for it, looking again each time spans arrive; fails after
   * `timeoutMs` with `explain` of what was there then.
   */
  function until<T>(
    read: () => T,
    ready: (value: T) => boolean,
    timeoutMs: number,
    explain: (value: T) => string,
  ): Promise<T> {
    return new Promise((resolve, reject) => {
      const finish = (settle: () => void) => {
        waits.delete(check)
        clearTimeout(timer)
        settle()
      }
      const check = () => {
        try {
          const value = read()
          if (ready(value)) finish(() => resolve(value))
        } catch (error) {
          finish(() => reject(error))
        }
      }
      const timer = setTimeout(
        () => finish(() => reject(new Error(`not there after ${timeoutMs} ms: ${explain(read())}`))),
        timeoutMs,
      )
      waits.add(check)
      check()
    })
  }

  return {
    endpoint: `http://127.0.0.1:${server.port}`,
    spans,
    requests,
    /** Waits until `done` holds for every span received so far, and returns them. */
    waitForSpans(done: (spans: FlatSpan[]) => boolean, timeoutMs = 10_000): Promise<FlatSpan[]> {
      return until(
        () => spans,
        done,
        timeoutMs,
        (all) => `${all.length} spans: ${names(all)}`,
      )
    },
    /**
     * Waits until the trace holds the spans `done` asks for and is whole (see `traceGaps`: each service exports on
     * its own schedule, so what `done` names can arrive before the rest), and returns it.
     */
    trace(traceId: string, done: (trace: FlatSpan[]) => boolean, timeoutMs = 10_000): Promise<FlatSpan[]> {
      return until(
        () => spans.filter((span) => span.traceId === traceId),
        (trace) => done(trace) && traceGaps(trace).length === 0,
        timeoutMs,
        (trace) =>
          [
            `trace ${traceId}: ${names(trace)}`,
            `done ${done(trace) ? 'holds' : 'does not hold'}`,
            ...traceGaps(trace),
          ].join('; '),
      )
    },
    stop: () => {
      waits.clear()
      server.stop(true)
    },
  }
}

/**
 * What a trace still lacks to be whole, as sentences (none when it is whole):
 * - every span's parent has arrived; only when no span is parentless may one parent be missing, that of a SERVER
 *   span, which a caller outside the system started;
 * - every HTTP call has the SERVER span of the service it reached: its spans come from another process, whose export
 *   the caller's does not wait for.
 * Within one service a parent ends after its children and the processor exports in order, so with its parent there,
 * a span's children and earlier siblings are there too.
 */
export function traceGaps(trace: FlatSpan[]): string[] {
  const ids = new Set(trace.map((span) => span.spanId))
  const orphans = trace.filter((span) => span.parentSpanId && !ids.has(span.parentSpanId))
  const rooted = trace.some((span) => !span.parentSpanId)
  const calledFromOutside = !rooted && orphans.length === 1 && orphans[0]!.kind === SPAN_KIND.SERVER
  const gaps = calledFromOutside
    ? []
    : orphans.map((span) => `the parent of ${label(span)} has not arrived (${span.parentSpanId})`)
  const served = new Set(trace.filter((span) => span.kind === SPAN_KIND.SERVER).map((span) => span.parentSpanId))
  for (const span of trace) {
    if (span.kind === SPAN_KIND.CLIENT && span.attributes['http.request.method'] && !served.has(span.spanId)) {
      gaps.push(`the server span of ${label(span)} ${String(span.attributes['url.full'])} has not arrived`)
    }
  }
  return gaps
}

const label = (span: FlatSpan) => `${span.service}/${span.name}`
const names = (spans: FlatSpan[]) => spans.map(label).join(', ')

/**
 * A protobuf export request in the OTLP/JSON shape `flattenExportRequest` reads: the collector's schema decodes it,
 * the proto3 JSON mapping gives ids in base64 (hex here, as in OTLP/JSON) and leaves out zero values (an UNSET status).
 */
function protobufAsJson(bytes: Uint8Array): unknown {
  const request = toJson(ExportTraceServiceRequest, fromBinary(ExportTraceServiceRequest, bytes)) as {
    resourceSpans?: { scopeSpans?: { spans?: Record<string, any>[] }[] }[]
  }
  for (const resource of request.resourceSpans ?? [])
    for (const scope of resource.scopeSpans ?? [])
      for (const span of scope.spans ?? []) {
        span.traceId = parseId(span.traceId, 16)
        span.spanId = parseId(span.spanId, 8)
        span.parentSpanId = parseId(span.parentSpanId, 8)
        span.kind ??= 0
        span.status = { code: 0, ...span.status }
        for (const link of span.links ?? []) {
          link.traceId = parseId(link.traceId, 16)
          link.spanId = parseId(link.spanId, 8)
        }
      }
  return request
}
