import { describe, expect, test } from 'bun:test'
import {
  faultPicker,
  LoadOptionError,
  loopbackUrl,
  parseDuration,
  parseFaults,
  parseLoadArgs,
  parseMix,
  weightedPicker,
} from '../../scripts/load/options.ts'

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
    expect(parseLoadArgs([]).options).toMatchObject({
      url: 'http://localhost:8080',
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
})
