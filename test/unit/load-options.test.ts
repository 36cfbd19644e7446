import { describe, expect, test } from 'bun:test'
import { UsageError } from '../../scripts/cli.ts'
import {
  faultPicker,
  LoadOptionError,
  loopbackUrl,
  parseDuration,
  parseFaults,
  parseLatency,
  parseLoadArgs,
  parseMix,
  parseRate,
  weightedPicker,
} from '../../scripts/load/options.ts'
import type { LoadSummary } from '../../scripts/load/run.ts'
import { checkThresholds, describeThreshold } from '../../scripts/load/thresholds.ts'

describe('loopback only', () => {
  test.each([
    'http://localhost:8080',
    'http://127.0.0.1:8080/',
    'http://127.3.4.5',
    'http://[::1]:8080',
    'https://localhost',
  ])('%s is accepted', (url) => {
    expect(loopbackUrl(url)).toBe(new URL(url).origin)
  })

  test.each([
    'http://10.0.0.1:8080',
    'http://192.168.1.2',
    'http://example.com',
    'http://localhost.example.com',
    'http://127.0.0.1.nip.io',
    'http://[::2]',
    'ftp://localhost',
    'localhost:8080',
  ])('%s is refused', (url) => {
    expect(() => loopbackUrl(url)).toThrow(LoadOptionError)
  })

  test('the command line refuses a remote gateway before sending anything', () => {
    expect(() => parseLoadArgs(['--url', 'http://203.0.113.7:8080'])).toThrow(/only sent to loopback/)
  })
})

describe('product mix', () => {
  test('ids with weights, a missing weight counting 1', () => {
    expect(parseMix('sku-mouse:3, sku-cable:1,sku-mic')).toEqual([
      { value: 'sku-mouse', weight: 3 },
      { value: 'sku-cable', weight: 1 },
      { value: 'sku-mic', weight: 1 },
    ])
  })

  test.each(['sku-mouse:0', 'sku-mouse:-1', 'sku-mouse:x', ':3'])('%s is refused', (mix) => {
    expect(() => parseMix(mix)).toThrow(LoadOptionError)
  })

  test('picks each id in proportion to its weight', () => {
    let seed = 1
    const random = () => {
      seed = (seed * 16807) % 2147483647
      return (seed - 1) / 2147483646
    }
    const pick = weightedPicker(parseMix('a:3,b:1'), random)
    const counts = { a: 0, b: 0 } as Record<string, number>
    for (let i = 0; i < 40_000; i++) counts[pick()]!++
    expect(counts.a! / 40_000).toBeCloseTo(0.75, 1)
  })
})

describe('fault mix', () => {
  test('fault baggage entries (`fault.<service>=<fault>`) with their shares, arguments kept', () => {
    expect(
      parseFaults('payment=decline:0.1,payment=slow:200:0.05,inventory=slow:50:0.2,payment=timeout:1:0.1'),
    ).toEqual([
      { value: 'fault.payment=decline', weight: 0.1 },
      { value: 'fault.payment=slow:200', weight: 0.05 },
      { value: 'fault.inventory=slow:50', weight: 0.2 },
      { value: 'fault.payment=timeout:1', weight: 0.1 },
    ])
  })

  test.each([
    'payment=decline',
    'payment=decline:0',
    'payment=decline:1.5',
    'decline:0.1',
    'payment=decline:0.6,payment=timeout:0.6',
  ])('%s is refused', (faults) => {
    expect(() => parseFaults(faults)).toThrow(LoadOptionError)
  })

  test('the requests beyond the shares carry no fault', () => {
    const pick = faultPicker(parseFaults('payment=decline:0.25'), () => 0.3)
    expect(pick()).toBeUndefined()
    expect(faultPicker(parseFaults('payment=decline:0.25'), () => 0.2)()).toBe('fault.payment=decline')
  })
})

describe('command line', () => {
  test('durations in ms, s, m or bare seconds', () => {
    expect([parseDuration('500ms'), parseDuration('10s'), parseDuration('2m'), parseDuration('1.5')]).toEqual([
      500, 10_000, 120_000, 1500,
    ])
    expect(() => parseDuration('10 hours')).toThrow(LoadOptionError)
    expect(() => parseDuration('0s')).toThrow(LoadOptionError)
  })

  test('a closed model by default, an open one with --rate, never both', () => {
    expect(parseLoadArgs([], {}).options).toMatchObject({
      url: 'http://127.0.0.1:8080',
      model: { kind: 'closed', concurrency: 8 },
      durationMs: 10_000,
      mix: [],
      faults: [],
    })
    expect(parseLoadArgs(['--rate', '50', '--duration', '2s', '--json']).options.model).toEqual({
      kind: 'open',
      rate: 50,
    })
    expect(() => parseLoadArgs(['--rate', '50', '--concurrency', '4'])).toThrow(/not both/)
    expect(() => parseLoadArgs(['--concurrency', '2.5'])).toThrow(/whole number/)
  })

  test('the gateway as bun run dev starts it with the same environment, unless --url says otherwise', () => {
    expect(parseLoadArgs([], { GATEWAY_PORT: '18080' }).options.url).toBe('http://127.0.0.1:18080')
    expect(parseLoadArgs([], { GATEWAY_URL: 'http://localhost:9000' }).options.url).toBe('http://localhost:9000')
    expect(parseLoadArgs(['--url', 'http://[::1]:7000'], { GATEWAY_PORT: '18080' }).options.url).toBe(
      'http://[::1]:7000',
    )
    expect(() => parseLoadArgs([], { GATEWAY_URL: 'http://203.0.113.7:8080' })).toThrow(
      'GATEWAY_URL http://203.0.113.7:8080: load is only sent to loopback',
    )
  })
})

describe('thresholds', () => {
  test('--max-p95, --max-p99 and --max-error-rate become limits in ms and as a fraction', () => {
    expect(parseLoadArgs(['--max-p99', '300ms', '--max-p95', '1.5s', '--max-error-rate', '1%']).thresholds).toEqual([
      { option: '--max-p95', metric: 'p95', max: 1500 },
      { option: '--max-p99', metric: 'p99', max: 300 },
      { option: '--max-error-rate', metric: 'errorRate', max: 0.01 },
    ])
    expect(parseLoadArgs([]).thresholds).toEqual([])
  })

  test('an error rate as a percentage or a fraction, 0 allowing none', () => {
    expect([parseRate('1%'), parseRate('0.5%'), parseRate('0.01'), parseRate('0'), parseRate('100%')]).toEqual([
      0.01, 0.005, 0.01, 0, 1,
    ])
    for (const bad of ['150%', '2', '-1%', 'x', '']) expect(() => parseRate(bad)).toThrow(LoadOptionError)
  })

  test('a latency needs its unit: a bare 300 could be seconds or milliseconds', () => {
    expect([parseLatency('--max-p99', '300ms'), parseLatency('--max-p99', '2s')]).toEqual([300, 2000])
    expect(() => parseLatency('--max-p99', '300')).toThrow(/with its unit/)
    expect(() => parseLatency('--max-p99', '0ms')).toThrow(/above zero/)
  })

  test('a bad value is a usage error, printed with the usage like an unknown option', () => {
    expect(() => parseLoadArgs(['--max-p99', 'fast'])).toThrow(UsageError)
    expect(() => parseLoadArgs(['--bogus'])).toThrow(UsageError)
  })

  const summary = (requests: number, errors: number, p95: number, p99: number) =>
    ({ requests, errors, latencyMs: { p95, p99 } }) as LoadSummary

  test('each threshold with what was measured; the limit itself passes', () => {
    const results = checkThresholds(summary(200, 2, 120, 300), [
      { option: '--max-p99', metric: 'p99', max: 300 },
      { option: '--max-p95', metric: 'p95', max: 100 },
      { option: '--max-error-rate', metric: 'errorRate', max: 0.01 },
    ])
    expect(results.map((result) => [result.actual, result.passed])).toEqual([
      [300, true],
      [120, false],
      [0.01, true],
    ])
    expect(results.map(describeThreshold)).toEqual([
      'p99 300 ms ≤ 300 ms (--max-p99)',
      'p95 120 ms > 100 ms (--max-p95)',
      'error rate 1% ≤ 1% (--max-error-rate)',
    ])
  })

  test('a run in which no request ended breaks every threshold', () => {
    const [result] = checkThresholds(summary(0, 0, 0, 0), [{ option: '--max-p99', metric: 'p99', max: 300 }])
    expect(result).toMatchObject({ actual: null, passed: false })
    expect(describeThreshold(result!)).toBe('p99: no request ended (--max-p99)')
  })
})
