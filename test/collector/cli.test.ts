import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { runTraces, startCollectorProcess } from './helpers.ts'
import { FAILED_TRACE, failedOrder, PAID_TRACE, paidOrder } from './payloads.ts'

let collector: Awaited<ReturnType<typeof startCollectorProcess>>
beforeAll(async () => {
  collector = await startCollectorProcess()
  for (const request of [failedOrder(FAILED_TRACE), paidOrder(PAID_TRACE)]) {
    const response = await fetch(`${collector.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(request),
    })
    expect(response.status).toBe(200)
  }
})
afterAll(() => collector.stop())

describe('bun run traces', () => {
  test('show: the tree with services, durations, marks, messages, error.type and events', async () => {
    const { stdout, code } = await runTraces(collector.url, 'show', FAILED_TRACE)
    expect(code).toBe(0)
    const lines = stdout.trimEnd().split('\n')
    expect(lines[0]).toBe(`Trace ${FAILED_TRACE} · 5.1s · 7 spans · 4 failing`)
    expect(lines[1]).toBe('[gateway] api_gateway.create_order (5.1s) ✗ payment_timeout')
    expect(stdout).toContain('└─ [order] order_service.create_order (5.05s) ✗ payment_timeout')
    expect(stdout).toContain('├─ [order] check_inventory (120ms) ✓')
    expect(stdout).toContain('│  └─ [inventory] inventory.check_availability (100ms) ✓')
    expect(stdout).toContain('└─ [order] create_payment (4.7s) ✗ TIMEOUT')
    expect(stdout).toContain('└─ [payment] payment.create (4.68s) ✗ TIMEOUT')
    expect(stdout).toContain('error.type: TIMEOUT')
    expect(stdout).toContain('event retry_attempt at +1.59s attempt=1')
    expect(stdout).toContain('event retry_attempt at +3.19s attempt=2')
  })

  test('slow: duration, slowest span by self time, spans over 10%', async () => {
    const { stdout, code } = await runTraces(collector.url, 'slow', '--min', '1s')
    expect(code).toBe(0)
    expect(stdout).toContain(`${FAILED_TRACE}  5.1s  [gateway] api_gateway.create_order`)
    expect(stdout).not.toContain(PAID_TRACE)
    expect(stdout).toContain('slowest span: [payment] payment.create 4.68s self of 4.68s')
    expect(stdout).toContain('    [order] create_payment 4.7s (92%)')
    expect(stdout).not.toContain('check_inventory')
    expect((await runTraces(collector.url, 'slow', '--min', '1s', '--service', 'inventory')).stdout).toContain(
      FAILED_TRACE,
    )
    expect((await runTraces(collector.url, 'slow', '--min', '10s')).stdout).toContain('No trace of 10s or more.')
  })

  test('critical-path: the chain that set the duration, with self time adding up', async () => {
    const { stdout, code } = await runTraces(collector.url, 'critical-path', FAILED_TRACE)
    expect(code).toBe(0)
    expect(stdout).toContain(`Critical path of ${FAILED_TRACE} (5.1s)`)
    expect(stdout).toContain('[gateway] api_gateway.create_order  self 50ms (1%) of 5.1s')
    expect(stdout).toContain('[order] order_service.create_order  self 190ms (4%) of 5.05s')
    expect(stdout).toContain('[order] check_inventory  self 20ms')
    expect(stdout).toContain('[inventory] inventory.check_availability  self 100ms')
    expect(stdout).toContain('[order] create_order_record  self 40ms')
    expect(stdout).toContain('[order] create_payment  self 20ms')
    expect(stdout).toContain('[payment] payment.create  self 4.68s (92%) of 4.68s ✗')
  })

  test('errors: failing traces grouped by the deepest failing span and message', async () => {
    const { stdout, code } = await runTraces(collector.url, 'errors')
    expect(code).toBe(0)
    expect(stdout).toContain('1× [payment] payment.create: TIMEOUT  (error.type=TIMEOUT)')
    expect(stdout).toContain(`traces ${FAILED_TRACE}`)
    expect(stdout).not.toContain(PAID_TRACE)
  })

  test('an unknown trace and a bad command fail with a message', async () => {
    const missing = await runTraces(collector.url, 'show', '0123456789abcdef0123456789abcdef')
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('trace 0123456789abcdef0123456789abcdef not found')
    const usage = await runTraces(collector.url, 'nonsense')
    expect(usage.code).toBe(2)
    expect(usage.stdout).toContain('usage: bun run traces')
  })
})
