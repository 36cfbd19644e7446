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
    expect(usage.stderr).toContain('traces: unknown command nonsense\nUsage: bun run traces <command> [options]')
    expect(usage.stdout).toBe('')
  })
})

describe('bun run traces --json: the same information as data', () => {
  test('show: the tree, each span with its timing, status, error.type and events', async () => {
    const trace = await tracesJson('show', FAILED_TRACE)
    expect(trace).toMatchObject({ traceId: FAILED_TRACE, durationUs: 5_100_000, spanCount: 7, failingCount: 4 })
    expect(trace.roots).toHaveLength(1)
    expect(trace.roots[0]).toMatchObject({ service: 'gateway', name: 'api_gateway.create_order', failed: true })
    const payment = findSpan(trace.roots, 'payment.create')
    expect(payment).toMatchObject({
      service: 'payment',
      durationUs: 4_680_000,
      failed: true,
      statusMessage: 'TIMEOUT',
      errorType: 'TIMEOUT',
    })
    expect(payment.events.map((event: any) => [event.name, event.attributes.attempt])).toEqual([
      ['retry_attempt', 1],
      ['retry_attempt', 2],
    ])
    expect(payment.events[0].offsetUs).toBe(1_590_000)
    expect(findSpan(trace.roots, 'check_inventory')).toMatchObject({ failed: false, durationUs: 120_000 })
  })

  test('slow: the trace, its slowest span by self time and the spans over 10%', async () => {
    const slow = await tracesJson('slow', '--min', '1s')
    expect(slow.minDurationUs).toBe(1_000_000)
    expect(slow.traces.map((trace: any) => trace.traceId)).toEqual([FAILED_TRACE])
    const [trace] = slow.traces
    expect(trace.root).toMatchObject({ service: 'gateway', name: 'api_gateway.create_order' })
    expect(trace.slowestSpan).toMatchObject({ service: 'payment', name: 'payment.create', selfTimeUs: 4_680_000 })
    expect(trace.spansOver10Percent).toContainEqual(
      expect.objectContaining({ service: 'order', name: 'create_payment', durationUs: 4_700_000, share: 0.922 }),
    )
    expect((await tracesJson('slow', '--min', '10s')).traces).toEqual([])
  })

  test('critical-path: the steps, their self times adding up to the duration', async () => {
    const path = await tracesJson('critical-path', FAILED_TRACE)
    expect(path.traceId).toBe(FAILED_TRACE)
    const selfTimes = path.steps.reduce((sum: number, step: any) => sum + step.selfTimeUs, 0)
    expect(selfTimes).toBe(path.durationUs)
    expect(path.steps.at(-1)).toMatchObject({ name: 'payment.create', selfTimeUs: 4_680_000, failed: true })
    expect(path.steps[0]).toMatchObject({ service: 'gateway', depth: 0, selfTimeUs: 50_000 })
  })

  test('errors: the groups with their count, error.type and every trace id', async () => {
    const errors = await tracesJson('errors')
    expect(errors.groups).toHaveLength(1)
    expect(errors.groups[0]).toMatchObject({
      count: 1,
      service: 'payment',
      name: 'payment.create',
      statusMessage: 'TIMEOUT',
      errorType: 'TIMEOUT',
      traceIds: [FAILED_TRACE],
    })
    expect(Number.isNaN(Date.parse(errors.groups[0].last))).toBe(false)
  })
})

/** Runs `bun run traces … --json`, expects success and returns the parsed output. */
async function tracesJson(...args: string[]): Promise<any> {
  const { stdout, stderr, code } = await runTraces(collector.url, ...args, '--json')
  expect(code, stderr).toBe(0)
  return JSON.parse(stdout)
}

function findSpan(spans: any[], name: string): any {
  for (const span of spans) {
    if (span.name === name) return span
    const found = findSpan(span.children, name)
    if (found) return found
  }
  return undefined
}
