import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace as traceApi } from '@opentelemetry/api'
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BasicTracerProvider, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base'
import { tagValue as tag } from '../../collector/analysis/tree.ts'
import { createCollectorClient } from '../../collector/client.ts'
import { startCollectorProcess } from './helpers.ts'

let collector: Awaited<ReturnType<typeof startCollectorProcess>>
beforeAll(async () => {
  collector = await startCollectorProcess()
})
afterAll(() => collector.stop())

/** Spans from the official SDK: a server span with a failing client child that has events and a link. */
async function exportTrace(exporter: SpanExporter, serviceName: string) {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName, 'deployment.environment.name': 'test' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  })
  const tracer = provider.getTracer('exporter-test', '9.9.9')
  const linked = tracer.startSpan('earlier')
  linked.end()
  const root = tracer.startSpan('GET /orders', {
    kind: SpanKind.SERVER,
    attributes: {
      'http.request.method': 'GET',
      'http.response.status_code': 500,
      ratio: 0.5,
      ok: false,
      list: ['a', 'b'],
      counts: [1, 2],
    },
  })
  const child = tracer.startSpan(
    'create_payment',
    { kind: SpanKind.CLIENT, links: [{ context: linked.spanContext(), attributes: { 'link.kind': 'retry-of' } }] },
    traceApi.setSpan(ROOT_CONTEXT, root),
  )
  child.addEvent('retry_attempt', { attempt: 2 })
  child.setAttribute('error.type', 'TIMEOUT')
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'TIMEOUT' })
  child.end()
  root.end()
  await provider.forceFlush()
  await provider.shutdown()
  return { root: root.spanContext(), child: child.spanContext(), linked: linked.spanContext() }
}

describe.each([
  ['exporter-trace-otlp-http (JSON)', (url: string) => new JsonExporter({ url: `${url}/v1/traces` })],
  [
    'exporter-trace-otlp-http (JSON, gzip)',
    (url: string) => new JsonExporter({ url: `${url}/v1/traces`, compression: 'gzip' as never }),
  ],
  ['exporter-trace-otlp-proto', (url: string) => new ProtoExporter({ url: `${url}/v1/traces` })],
  [
    'exporter-trace-otlp-proto (gzip)',
    (url: string) => new ProtoExporter({ url: `${url}/v1/traces`, compression: 'gzip' as never }),
  ],
])('%s', (name, makeExporter) => {
  test('ids, parent links, attributes, events, links, status and resource read back', async () => {
    const service = `svc-${name.replace(/\W+/g, '-')}`
    const ids = await exportTrace(makeExporter(collector.url), service)
    const api = createCollectorClient({ baseUrl: collector.url, fetch })
    const trace = await api.trace(ids.root.traceId)
    const root = trace.spans.find((span) => span.spanID === ids.root.spanId)!
    const child = trace.spans.find((span) => span.spanID === ids.child.spanId)!
    expect(trace.traceID).toBe(ids.root.traceId)
    expect(root.references).toEqual([])
    expect(child.references).toEqual([
      { refType: 'CHILD_OF', traceID: ids.root.traceId, spanID: ids.root.spanId },
      {
        refType: 'FOLLOWS_FROM',
        traceID: ids.linked.traceId,
        spanID: ids.linked.spanId,
        tags: [{ key: 'link.kind', type: 'string', value: 'retry-of' }],
      },
    ])
    expect(root.tags).toEqual(
      expect.arrayContaining([
        { key: 'http.request.method', type: 'string', value: 'GET' },
        { key: 'http.response.status_code', type: 'int64', value: 500 },
        { key: 'ratio', type: 'float64', value: 0.5 },
        { key: 'ok', type: 'bool', value: false },
        { key: 'list', type: 'string', value: '["a","b"]' },
        { key: 'counts', type: 'string', value: '[1,2]' },
        { key: 'span.kind', type: 'string', value: 'server' },
        { key: 'otel.scope.name', type: 'string', value: 'exporter-test' },
        { key: 'otel.scope.version', type: 'string', value: '9.9.9' },
      ]),
    )
    expect(tag(child.tags, 'otel.status_code')).toBe('ERROR')
    expect(tag(child.tags, 'otel.status_description')).toBe('TIMEOUT')
    expect(tag(child.tags, 'error.type')).toBe('TIMEOUT')
    expect(child.logs).toHaveLength(1)
    expect(child.logs[0]!.fields).toEqual([
      { key: 'event', type: 'string', value: 'retry_attempt' },
      { key: 'attempt', type: 'int64', value: 2 },
    ])
    const process = trace.processes[root.processID]!
    expect(process.serviceName).toBe(service)
    expect(tag(process.tags, 'deployment.environment.name')).toBe('test')
    expect(await api.services()).toContain(service)
    expect(await api.operations(service)).toEqual(['GET /orders', 'create_payment', 'earlier'])
  })
})
