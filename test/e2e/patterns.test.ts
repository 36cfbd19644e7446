import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { waitUntil } from '../support/environment.ts'
import { type FlatSpan, SPAN_KIND, STATUS } from '../support/otlp-json.ts'
import { startOtlpReceiver } from '../support/otlp-receiver.ts'
import { startProcesses } from '../support/processes.ts'

// Starting the services and a batch of 50 outlast bun test's default of 5 s a test: this file sets its own limit.
setDefaultTimeout(60_000)

// The patterns of docs/patterns.md over HTTP on real processes: batch import, outbox delivery to a webhook,
// cancellation.
describe('batch import and outbox on real processes', () => {
  const receiver = startOtlpReceiver()
  const hooks: { key: string | null; body: any }[] = []
  const webhook = Bun.serve({
    port: 0,
    async fetch(request) {
      hooks.push({ key: request.headers.get('idempotency-key'), body: await request.json() })
      return new Response(null, { status: 204 })
    },
  })
  let shop: Awaited<ReturnType<typeof startProcesses>>

  beforeAll(async () => {
    shop = await startProcesses({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      NOTIFY_WEBHOOK_URL: `http://127.0.0.1:${webhook.port}/orders`,
      NOTIFY_INTERVAL_MS: '100',
    })
  })
  afterAll(async () => {
    await shop?.stop()
    webhook.stop(true)
    receiver.stop()
  })

  const postBatch = (orders: unknown[], headers: Record<string, string> = {}, signal?: AbortSignal) =>
    fetch(`${shop.gateway}/api/orders/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson', ...headers },
      body: orders.map((order) => JSON.stringify(order)).join('\n'),
      signal,
    })
  const spansNamed = (name: string, traceId?: string) =>
    receiver.spans.filter((span) => span.name === name && (!traceId || span.traceId === traceId))

  test('a batch of 50: every order paid, its stage spans under its own order span, the batch span linked to all', async () => {
    const orders = Array.from({ length: 50 }, (_, i) => ({
      userId: `u-batch-${i}`,
      items: [{ id: i % 2 ? 'sku-cable' : 'sku-mouse', quantity: 1 }],
    }))
    const response = await postBatch(orders)
    expect(response.status).toBe(200)
    const { results } = await response.json()
    expect(results).toHaveLength(50)
    expect(results.every((result: any, index: number) => result.index === index && result.status === 'paid')).toBe(true)

    const exported = () =>
      spansNamed('api_gateway.import_batch').length === 1 &&
      spansNamed('order_service.import_batch').length === 1 &&
      spansNamed('notify_order').length === 50
    expect(await waitUntil(exported)).toBe(true)
    const batch = spansNamed('order_service.import_batch')[0]!
    const gatewayBatch = spansNamed('api_gateway.import_batch')[0]!
    expect(batch.traceId).toBe(gatewayBatch.traceId)
    expect(batch.traceId).toBe(response.headers.get('x-trace-id')!)
    const orderSpans = spansNamed('order_service.import_order')
    expect(orderSpans).toHaveLength(50)
    expect(batch.links.map((link) => `${link.traceId}/${link.spanId}`).sort()).toEqual(
      orderSpans.map((span) => `${span.traceId}/${span.spanId}`).sort(),
    )

    for (const result of results) {
      const root = orderSpans.find((span) => span.traceId === result.traceId)!
      expect(root.attributes).toMatchObject({
        'batch.index': result.index,
        'order.id': result.orderId,
        'order.status': 'paid',
      })
      expect(root.parentSpanId).toBeUndefined()
      expect(root.links).toEqual([{ traceId: batch.traceId, spanId: batch.spanId }])
      const stages = ['validate_order', 'process_order', 'notify_order'].map((name) => {
        const [stage, ...others] = spansNamed(name, result.traceId)
        expect(others).toEqual([])
        expect(stage!.parentSpanId).toBe(root.spanId)
        return stage!
      })
      // The stages of one order follow each other; its saga hangs under the stage that ran it.
      expect(stages[0]!.endNs).toBeLessThanOrEqual(stages[1]!.startNs)
      expect(stages[1]!.endNs).toBeLessThanOrEqual(stages[2]!.startNs)
      expect(spansNamed('create_payment', result.traceId)[0]!.parentSpanId).toBe(stages[1]!.spanId)
      expect(spansNamed('complete_order', result.traceId)[0]!.parentSpanId).toBe(stages[2]!.spanId)
    }
  })

  test('each paid order is announced to the webhook once per notification, in a span linked to the order', async () => {
    const [result] = (await (await postBatch([{ userId: 'u-hooked', items: [{ id: 'sku-ssd', quantity: 1 }] }])).json())
      .results
    expect(await waitUntil(() => hooks.some((hook) => hook.body.orderId === result.orderId))).toBe(true)
    const hook = hooks.find((hook) => hook.body.orderId === result.orderId)!
    expect(hook.body).toMatchObject({
      kind: 'order.paid',
      id: hook.key,
      order: { id: result.orderId, status: 'paid', userId: 'u-hooked' },
    })
    await waitUntil(() =>
      receiver.spans.some((span) => span.name === 'outbox.deliver' && span.attributes['order.id'] === result.orderId),
    )
    const delivery = receiver.spans.find(
      (span) => span.name === 'outbox.deliver' && span.attributes['order.id'] === result.orderId,
    )!
    const completed = spansNamed('complete_order', result.traceId)[0]!
    expect(delivery.links).toEqual([{ traceId: result.traceId, spanId: completed.spanId }])
    expect(
      receiver.spans.some(
        (span) =>
          span.traceId === delivery.traceId && span.kind === SPAN_KIND.CLIENT && span.parentSpanId === delivery.spanId,
      ),
    ).toBe(true)
  })

  test('a client that goes away mid-batch: reading stops, every started span ends, no order is left half-done', async () => {
    const abort = new AbortController()
    const userIds = Array.from({ length: 40 }, (_, i) => `u-gone-${i}`)
    const db = shop.database('order')
    const ofBatch = `user_id in (${userIds.map(() => '?').join(',')})`
    const recorded = async () =>
      Number((await db.execute({ sql: `select count(*) as n from orders where ${ofBatch}`, args: userIds })).rows[0]!.n)
    // Slow charges keep the batch going for seconds; the client goes away once two of its orders are recorded.
    const pending = postBatch(
      userIds.map((userId) => ({ userId, items: [{ id: 'sku-desk-mat', quantity: 1 }] })),
      { baggage: 'fault.payment=slow:150' },
      abort.signal,
    )
    expect(await waitUntil(async () => (await recorded()) >= 2)).toBe(true)
    abort.abort()
    await expect(pending).rejects.toThrow()

    // The batch's span, found through the link of its first order's span.
    const batchOf = () => {
      const first = receiver.spans.find(
        (span) => span.name === 'order_service.import_order' && span.attributes['user.id'] === userIds[0],
      )
      return receiver.spans.find(
        (span) => span.name === 'order_service.import_batch' && span.spanId === first?.links[0]?.spanId,
      )
    }
    expect(await waitUntil(() => Boolean(batchOf()), 15_000)).toBe(true)
    const batch = batchOf()!
    expect(batch.links.length).toBeLessThan(userIds.length)
    // Every order span the batch started (each is linked) ends, so it is exported: wait until all of them arrived.
    const startedSpans = () => batch.links.map((link) => receiver.spans.find((span) => span.spanId === link.spanId))
    expect(await waitUntil(() => startedSpans().every(Boolean))).toBe(true)
    const ended = startedSpans() as FlatSpan[]
    const cancelled = ended.filter((span) => span.attributes['order.status'] === 'failed')
    expect(cancelled.length).toBeGreaterThan(0)
    for (const span of cancelled)
      expect(span.status).toMatchObject({ code: STATUS.ERROR, message: 'cancelled: the batch request was aborted' })

    // The batch span ends only once every recorded order is settled: each of them is paid.
    const rows = await db.execute({ sql: `select status from orders where ${ofBatch}`, args: userIds })
    expect(rows.rows.every((row) => row.status === 'paid')).toBe(true)
    expect(rows.rows.length).toBe(ended.length - cancelled.length)
  })
})
