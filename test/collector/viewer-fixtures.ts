import { nowNanos } from './helpers.ts'
import { otlpRequest } from './payloads.ts'

type Request = ReturnType<typeof otlpRequest>

/** OTLP numbers span kinds: 1 internal, 2 server, 3 client. `otlpRequest` makes every span internal. */
export function withKind(request: Request, kind: number, spanIds: string[]): Request {
  for (const resource of request.resourceSpans)
    for (const scope of resource.scopeSpans)
      for (const span of scope.spans) if (spanIds.includes(span.spanId)) Object.assign(span, { kind })
  return request
}

/**
 * An order as the shop places it: the order service checks inventory and prices the cart at once, then charges.
 * `calculate_price` finishes after `check_inventory`, so only it is on the critical path. Entry spans are servers.
 */
export function parallelOrder(traceId: string, startNanos?: bigint) {
  const request = otlpRequest(
    traceId,
    [
      { id: 'c100000000000001', service: 'gateway', name: 'api_gateway.create_order', at: 0, ms: 400 },
      { id: 'c100000000000002', parent: 'c100000000000001', service: 'order', name: 'POST /orders', at: 10, ms: 380 },
      {
        id: 'c100000000000003',
        parent: 'c100000000000002',
        service: 'order',
        name: 'check_inventory',
        at: 20,
        ms: 120,
      },
      {
        id: 'c100000000000004',
        parent: 'c100000000000003',
        service: 'inventory',
        name: 'POST /check',
        at: 25,
        ms: 100,
        attributes: { 'http.route': '/check', 'items.count': 3 },
      },
      {
        id: 'c100000000000005',
        parent: 'c100000000000002',
        service: 'order',
        name: 'calculate_price',
        at: 30,
        ms: 150,
      },
      {
        id: 'c100000000000006',
        parent: 'c100000000000002',
        service: 'order',
        name: 'create_payment',
        at: 190,
        ms: 190,
      },
      {
        id: 'c100000000000007',
        parent: 'c100000000000006',
        service: 'payment',
        name: 'POST /payments',
        at: 200,
        ms: 170,
        attributes: { 'payment.provider': 'acme pay' },
        events: [{ name: 'provider.request', at: 210 }],
      },
    ],
    startNanos,
  )
  return withKind(request, 2, ['c100000000000001', 'c100000000000002', 'c100000000000004', 'c100000000000007'])
}

/**
 * `count` one-span traces of a `pricing` service's `quote` server spans lasting 1, 2, … `count` ms, every tenth
 * failing: p50, p95 and p99 are known exactly.
 */
export function latencyTraces(count: number, startNanos = nowNanos() - 120_000_000_000n) {
  const spans = Array.from({ length: count }, (_, index) => ({
    traceId: `a2${(index + 1).toString(16).padStart(30, '0')}`,
    spanId: `a2${(index + 1).toString(16).padStart(14, '0')}`,
    name: 'quote',
    kind: 2,
    startTimeUnixNano: String(startNanos + BigInt(index) * 100_000_000n),
    endTimeUnixNano: String(startNanos + BigInt(index) * 100_000_000n + BigInt(index + 1) * 1_000_000n),
    status: (index + 1) % 10 === 0 ? { code: 2, message: 'QUOTE_FAILED' } : { code: 0 },
  }))
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'pricing' } }] },
        scopeSpans: [{ scope: { name: 'pricing' }, spans }],
      },
    ],
  }
}
