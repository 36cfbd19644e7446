import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { repositoryRoot } from '../support/environment.ts'
import { type RunningSystem, startSystem } from '../support/system.ts'

// These tests start real processes and wait for their traces; the 5 s default is too short.
setDefaultTimeout(60_000)

describe('bun run scenario payment-timeout', () => {
  let system: RunningSystem
  beforeAll(async () => {
    // Spans go to the collector `bun run dev` starts, as they do for a developer.
    system = await startSystem('bun')
  })
  afterAll(() => system?.stop())

  test('prints the failing trace, names the root cause, then shows the retry that absorbed a transient timeout', async () => {
    const run = Bun.spawn(
      [
        process.execPath,
        'run',
        'scenario',
        'payment-timeout',
        '--gateway',
        system.gateway,
        '--collector',
        `http://127.0.0.1:${system.ports.collector}`,
      ],
      { cwd: repositoryRoot, stdout: 'pipe', stderr: 'pipe' },
    )
    const [output, errors, code] = await Promise.all([
      new Response(run.stdout).text(),
      new Response(run.stderr).text(),
      run.exited,
    ])
    expect(errors).not.toContain('error')
    expect(code).toBe(0)
    const [failing, absorbed] = output.split('2. An order whose first payment attempt times out')
    expect(failing).toContain('POST /api/orders → 504 payment_timeout')
    expect(failing).toMatch(
      /\[order\] create_payment \([\d.]+m?s\) ✗ the payment provider did not answer after 3 attempts/,
    )
    expect(failing).toMatch(/event retry_attempt at \+[\d.]+m?s attempt=3/)
    expect(failing).toMatch(/\[order\] compensate_order \([\d.µm]+s\) ✓/)
    expect(failing).toContain(
      'Root cause: [payment] payment.create: the payment provider did not answer after 3 attempts (payment_timeout), after 2 retries.',
    )
    expect(absorbed).toContain('POST /api/orders → 201 paid')
    expect(absorbed).toMatch(/\[payment\] payment\.create \([\d.]+m?s\) ✓/)
    expect(absorbed).toMatch(
      /The payment succeeded on a retry; its events:\n {2}event=retry_attempt attempt=2 error\.message=\S+/,
    )
    expect(absorbed).not.toContain('✗')
  })
})
