import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import type { LoadSummary } from '../../scripts/load/run.ts'
import type { ThresholdResult } from '../../scripts/load/thresholds.ts'
import { runBun } from '../support/run-bun.ts'
import { type RunningSystem, startSystem } from '../support/system.ts'

// Each case starts `bun run`; the load runs also start the system.
setDefaultTimeout(30_000)

/** Every `bun run` script of package.json that takes options. */
const SCRIPTS = ['dev', 'traces', 'load', 'scenario', 'migrate', 'db:generate', 'bench', 'bench:collector']

/** `bun run --silent <script> …`: --silent keeps bun's own `$ command` line out of stderr. */
function run(script: string, ...args: string[]) {
  return runBun('run', '--silent', script, ...args)
}

/** One line saying what is wrong, the usage right after it, no stack frame anywhere. */
function expectUsageError(script: string, stderr: string, message: string | RegExp) {
  const [first, second] = stderr.split('\n')
  expect(first).toMatch(message)
  expect(first!.startsWith(`${script}: `)).toBe(true)
  expect(second!.startsWith(`Usage: bun run ${script}`)).toBe(true)
  expect(stderr).not.toMatch(/^\s+at /m)
  expect(stderr).toContain('Options:')
}

describe('every script answers --help and refuses what it does not know', () => {
  test.each(SCRIPTS)('bun run %s --help: the usage, options and an example on stdout, exit 0', async (script) => {
    for (const flag of ['--help', '-h']) {
      const { stdout, stderr, code } = await run(script, flag)
      expect(code, stderr).toBe(0)
      expect(stdout.startsWith(`Usage: bun run ${script}`)).toBe(true)
      expect(stdout).toContain('-h, --help')
      expect(stdout).toContain(`Examples:\n  bun run ${script}`)
    }
  })

  test.each(SCRIPTS)('bun run %s --bogus: one line, the usage, exit 2', async (script) => {
    const { stdout, stderr, code } = await run(script, '--bogus')
    expect(code).toBe(2)
    expect(stdout).toBe('')
    expectUsageError(script, stderr, `${script}: unknown option --bogus`)
  })

  test('--help wins over a mistake beside it', async () => {
    const { stdout, code } = await run('load', '--bogus', '--help')
    expect(code).toBe(0)
    expect(stdout).toStartWith('Usage: bun run load')
  })

  test.each([
    ['load', ['--max-p99', '300'], 'load: --max-p99 300: a latency with its unit, e.g. 300ms or 1.5s'],
    ['load', ['--duration'], 'load: --duration needs a value'],
    ['load', ['--json=yes'], 'load: --json takes no value, got --json=yes'],
    ['traces', ['show'], 'traces: show needs a trace id'],
    ['traces', ['slow', '--min', 'soon'], 'traces: --min soon: not a duration like 1s or 250ms'],
    ['traces', ['errors', '--limit', 'all'], 'traces: --limit all: a whole number above zero'],
    ['traces', [], 'traces: name a command: slow, show, critical-path, errors'],
    ['scenario', ['payment-outage'], 'scenario: unknown command payment-outage'],
    ['migrate', ['now'], 'migrate: unexpected argument now'],
  ] as const)('bun run %s %j: a bad value, one line and the usage, exit 2', async (script, args, message) => {
    const { stderr, code } = await run(script, ...args)
    expect(code).toBe(2)
    expectUsageError(script, stderr, message)
  })
})

describe('bun run load as a gate: --json and thresholds', () => {
  let system: RunningSystem
  beforeAll(async () => {
    system = await startSystem('bun', { OTEL_SDK_DISABLED: 'true' })
    // Enough stock that no order is refused for it: the only errors are the faults a test asks for.
    const inventory = system.database('inventory')
    await inventory.execute("update products set available = 1000000 where id = 'sku-cable'")
    inventory.close()
  }, 120_000)
  afterAll(() => system?.stop())

  /** Two users for a second and a half, one product: short, bounded, on loopback. */
  const load = (...args: string[]) =>
    run('load', '--url', system.gateway, '--concurrency', '2', '--duration', '1.5s', '--mix', 'sku-cable', ...args)

  test('thresholds that hold: exit 0, p50/p95/p99, a per-second series that adds up, every threshold passed', async () => {
    const { stdout, stderr, code } = await load(
      '--max-p95',
      '10s',
      '--max-p99',
      '10s',
      '--max-error-rate',
      '0',
      '--json',
    )
    expect(code, stderr).toBe(0)
    const report: LoadSummary & { thresholds: ThresholdResult[] } = JSON.parse(stdout)
    expect(report.requests).toBeGreaterThan(0)
    expect(report.errors).toBe(0)
    const { p50, p95, p99 } = report.latencyMs
    expect(p50).toBeGreaterThan(0)
    expect(p95).toBeGreaterThanOrEqual(p50)
    expect(p99).toBeGreaterThanOrEqual(p95)

    expect(report.seconds.map((second) => second.second)).toEqual(report.seconds.map((_, index) => index))
    expect(report.seconds.length).toBeGreaterThanOrEqual(2)
    const sum = (count: (second: LoadSummary['seconds'][number]) => number) =>
      report.seconds.reduce((total, second) => total + count(second), 0)
    expect(sum((second) => second.sent)).toBe(report.requests)
    expect(sum((second) => second.answered['2xx']!)).toBe(report.requests)
    expect(sum((second) => second.answered['4xx']! + second.answered['5xx']! + second.noAnswer)).toBe(0)
    const busy = report.seconds[0]!
    expect(busy.p50).toBeGreaterThan(0)
    expect(busy.p99).toBeGreaterThanOrEqual(busy.p50!)

    expect(report.thresholds.map(({ option, passed }) => [option, passed])).toEqual([
      ['--max-p95', true],
      ['--max-p99', true],
      ['--max-error-rate', true],
    ])
    expect(report.thresholds[1]!.actual).toBe(p99)
    expect(stderr).not.toContain('threshold broken')
  })

  test('an error rate over its limit: exit 1, the JSON and stderr say which threshold broke', async () => {
    // Half the orders declined by the payment provider: far over 1%, whatever the run's length.
    const { stdout, stderr, code } = await load(
      '--faults',
      'payment=decline:0.5',
      '--max-error-rate',
      '1%',
      '--max-p99',
      '10s',
      '--json',
    )
    expect(code, stderr).toBe(1)
    const report: LoadSummary & { thresholds: ThresholdResult[] } = JSON.parse(stdout)
    expect(Object.keys(report.outcomes)).toContain('402 payment_declined')
    const threshold = (option: string) => report.thresholds.find((result) => result.option === option)
    const [errorRate, p99] = [threshold('--max-error-rate'), threshold('--max-p99')]
    expect(errorRate).toMatchObject({ option: '--max-error-rate', max: 0.01, passed: false })
    expect(errorRate!.actual).toBe(report.errors / report.requests)
    expect(p99).toMatchObject({ option: '--max-p99', passed: true })
    expect(stderr).toMatch(/^load: threshold broken: error rate [\d.]+% > 1% \(--max-error-rate\)$/m)
    expect(stderr).not.toContain('--max-p99')
    expect(report.seconds.some((second) => second.answered['4xx']! > 0)).toBe(true)
  })

  test('a latency over its limit, in the text report: exit 1, the broken one marked', async () => {
    // No order is answered in ten microseconds.
    const { stdout, stderr, code } = await load('--max-p99', '0.01ms')
    expect(code, stderr).toBe(1)
    expect(stdout).toMatch(/latency .* p95 [\d.]+ ms {2}p99/)
    expect(stdout).toMatch(/^✗ p99 [\d.]+ ms > 0.01 ms \(--max-p99\)$/m)
    expect(stderr).toMatch(/^load: threshold broken: p99 [\d.]+ ms > 0.01 ms \(--max-p99\)$/m)
  })
})
