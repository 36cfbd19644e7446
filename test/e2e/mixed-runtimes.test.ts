import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SPAN_KIND } from '../support/otlp-json.ts'
import { startOtlpReceiver } from '../support/otlp-receiver.ts'
import { type RunningSystem, startProcfile } from '../support/system.ts'
import { traceTree } from '../support/trace-tree.ts'

// These tests start real processes and wait for their traces; the 5 s default is too short.
setDefaultTimeout(60_000)

// The gateway on Bun, order on workerd (alone in its `wrangler dev`, so it reaches inventory and payment over HTTP
// at their `*_URL` instead of service bindings), inventory and payment on Deno, all databases on local sqld.
/** The `name: command` line of a service in Procfile.deno, so the permissions are those `bun run dev` gives it. */
function denoLine(name: string): string {
  return readFileSync(new URL('../../Procfile.deno', import.meta.url), 'utf8')
    .split('\n')
    .find((line) => line.startsWith(`${name}:`))!
}

const procfile = `
sqld: bun scripts/sqld.ts
release: bun scripts/migrate.ts
gateway: bun services/gateway/bun.ts
order: env INVENTORY_URL=http://127.0.0.1:$INVENTORY_PORT PAYMENT_URL=http://127.0.0.1:$PAYMENT_PORT CLOUDFLARE_INCLUDE_PROCESS_ENV=true WRANGLER_SEND_METRICS=false WRANGLER_LOG_PATH=$DATA_DIR/wrangler-logs wrangler dev --ip 127.0.0.1 --port $ORDER_PORT --log-level warn -c wrangler/order.toml
${denoLine('inventory')}
${denoLine('payment')}
`

describe('one trace across runtimes: gateway on Bun, order on workerd, inventory and payment on Deno', () => {
  const receiver = startOtlpReceiver()
  let system: RunningSystem

  beforeAll(async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'procfile-')), 'Procfile.mixed')
    await writeFile(file, procfile)
    system = await startProcfile(file, {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    })
  })
  afterAll(async () => {
    await system?.stop()
    receiver.stop()
  })

  test('an order is paid and yields one trace whose parent links cross every runtime boundary', async () => {
    const response = await system.placeOrder({ userId: 'u-mixed', items: [{ id: 'sku-mouse', quantity: 2 }] })
    expect(response.status).toBe(201)
    const order = await response.json()
    expect(order).toMatchObject({ status: 'paid', totalAmount: 50 })
    const stored = await system
      .database('order')
      .execute({ sql: 'select status from orders where id = ?', args: [order.id] })
    expect(stored.rows[0]).toMatchObject({ status: 'paid' })

    const traceId = response.headers.get('x-trace-id')!
    const trace = await receiver.trace(traceId, (spans) =>
      ['POST /api/orders', 'payment.create', 'complete_order'].every((name) =>
        spans.some((span) => span.name === name),
      ),
    )
    const runtimes = Object.fromEntries(trace.map((span) => [span.service, span.runtime]))
    expect(runtimes).toEqual({ gateway: 'bun', order: 'workerd', inventory: 'deno', payment: 'deno' })

    const tree = traceTree(trace)
    expect(tree.root).toMatchObject({
      service: 'gateway',
      runtime: 'bun',
      name: 'POST /api/orders',
      kind: SPAN_KIND.SERVER,
    })
    // Bun → workerd: the gateway's client span is the parent of the order Worker's server span.
    const orderSpan = tree.path(
      tree.root,
      'gateway/api_gateway.create_order',
      'gateway/POST',
      'order/POST /orders',
      'order/order_service.create_order',
    )
    expect(orderSpan.attributes['order.id']).toBe(order.id)
    // workerd → Deno, for both services behind the order Worker.
    const check = tree.path(
      orderSpan,
      'order/check_inventory',
      'order/POST',
      'inventory/POST /availability',
      'inventory/inventory.check_availability',
    )
    expect(check.events.map((event) => event.attributes['item.id'])).toEqual(['sku-mouse'])
    tree.path(
      orderSpan,
      'order/reserve_inventory',
      'order/POST',
      'inventory/POST /reservations',
      'inventory/inventory.reserve',
    )
    const payment = tree.path(
      orderSpan,
      'order/create_payment',
      'order/POST',
      'payment/POST /payments',
      'payment/payment.create',
    )
    expect(payment.attributes).toMatchObject({ 'order.id': order.id, 'payment.status': 'succeeded' })
  })
})
