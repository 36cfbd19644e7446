import { serviceUrl } from '../../shared/config.ts'
import type { Env } from '../../shared/telemetry/config.ts'
import { type CommandSpec, parseCommandLine, UsageError } from '../cli.ts'

/** Open model: requests arrive at `rate` per second whatever the answers. Closed: `concurrency` users in a loop. */
export type LoadModel = { kind: 'open'; rate: number } | { kind: 'closed'; concurrency: number }

export interface Weighted {
  value: string
  weight: number
}

export interface LoadOptions {
  /** The gateway, on loopback only. */
  url: string
  model: LoadModel
  durationMs: number
  maxRequests: number
  /** Product ids, one picked per order by weight; empty means the catalogue weighted by stock. */
  mix: Weighted[]
  /** Baggage entries (`fault.payment=decline`), each sent with its share of the requests. */
  faults: Weighted[]
}

/** A bad value on `bun run load`'s command line: printed with the usage, exit 2. */
export class LoadOptionError extends UsageError {
  override readonly name = 'LoadOptionError'
}

/** A limit the run must hold, as k6's thresholds: broken, `bun run load` says which and exits 1. */
export interface Threshold {
  /** The option that set it, how a broken one is named. */
  option: '--max-p95' | '--max-p99' | '--max-error-rate'
  metric: 'p95' | 'p99' | 'errorRate'
  /** Milliseconds for a percentile, a fraction (0.01 for 1%) for the error rate. */
  max: number
}

export const DEFAULTS = { concurrency: 8, duration: '10s', maxRequests: 100_000 } as const

export const LOAD_COMMAND = {
  name: 'load',
  summary:
    'Places orders through the gateway (POST /api/orders) on loopback, with a live progress line on stderr and a\n' +
    'summary at the end; Ctrl-C stops sending and still prints it. Exits 1 when a --max-* threshold is broken.',
  options: {
    url: {
      type: 'string',
      value: 'URL',
      defaultText: 'GATEWAY_URL, else http://127.0.0.1:$GATEWAY_PORT (8080)',
      description: 'the gateway; loopback only',
    },
    rate: { type: 'string', value: 'N', description: 'open model: N orders a second, whatever the answers' },
    concurrency: {
      type: 'string',
      value: 'N',
      defaultText: `${DEFAULTS.concurrency} unless --rate`,
      description: 'closed model: N users, each ordering again once answered',
    },
    duration: { type: 'string', value: 'TIME', default: DEFAULTS.duration, description: '500ms, 10s, 2m or seconds' },
    'max-requests': {
      type: 'string',
      value: 'N',
      default: String(DEFAULTS.maxRequests),
      description: 'stop after N orders, whatever the duration',
    },
    mix: {
      type: 'string',
      value: 'ID:W,…',
      defaultText: 'the catalogue, weighted by stock',
      description: 'products by weight, one per order',
    },
    faults: {
      type: 'string',
      value: 'S=F:SHARE,…',
      defaultText: 'none',
      description: 'fault baggage and the share of orders carrying it',
    },
    'max-p95': { type: 'string', value: 'TIME', description: 'fail the run if p95 latency is over TIME (300ms, 1.5s)' },
    'max-p99': { type: 'string', value: 'TIME', description: 'fail the run if p99 latency is over TIME' },
    'max-error-rate': {
      type: 'string',
      value: 'RATE',
      description: 'fail the run if more than RATE of requests fail (1% or 0.01)',
    },
    json: {
      type: 'boolean',
      description: 'print the summary as JSON: p50/p95/p99, outcomes, a per-second series, thresholds',
    },
  },
  examples: [
    'bun run load --rate 50 --duration 30s',
    'bun run load --concurrency 16 --mix sku-mouse:3,sku-cable:1 --faults payment=decline:0.1,payment=timeout:0.05',
    'bun run load --duration 20s --max-p99 300ms --max-error-rate 1% --json > run.json',
  ],
  notes: [
    'An error is an answer other than 2xx, a client timeout or a network error; the error rate is errors / requests.',
    'Latency is measured from when a request was due, so with --rate a slow gateway shows in the figures.',
  ],
} as const satisfies CommandSpec

export interface LoadArgs {
  options: LoadOptions
  json: boolean
  thresholds: Threshold[]
}

/**
 * `bun run load` arguments into options; throws LoadOptionError (a UsageError) with a message for the user. Without
 * `--url`, the gateway `bun run dev` starts with the same environment (`GATEWAY_URL`, `GATEWAY_PORT`), as the other
 * scripts find it.
 */
export function parseLoadArgs(argv: string[], env: Env = process.env): LoadArgs {
  const { values } = parseCommandLine(LOAD_COMMAND, argv)
  if (values.rate !== undefined && values.concurrency !== undefined) {
    throw new LoadOptionError('give either --rate (open model) or --concurrency (closed model), not both')
  }
  const model: LoadModel =
    values.rate !== undefined
      ? { kind: 'open', rate: positiveNumber('--rate', values.rate) }
      : {
          kind: 'closed',
          concurrency: positiveInteger('--concurrency', values.concurrency ?? String(DEFAULTS.concurrency)),
        }
  return {
    json: values.json,
    thresholds: parseThresholds(values),
    options: {
      url:
        values.url === undefined
          ? loopbackUrl(serviceUrl(env, 'gateway'), env.GATEWAY_URL ? 'GATEWAY_URL' : 'the gateway')
          : loopbackUrl(values.url),
      model,
      durationMs: parseDuration(values.duration),
      maxRequests: positiveInteger('--max-requests', values['max-requests']),
      mix: values.mix ? parseMix(values.mix) : [],
      faults: values.faults ? parseFaults(values.faults) : [],
    },
  }
}

function parseThresholds(values: { 'max-p95'?: string; 'max-p99'?: string; 'max-error-rate'?: string }): Threshold[] {
  const thresholds: Threshold[] = []
  if (values['max-p95'] !== undefined)
    thresholds.push({ option: '--max-p95', metric: 'p95', max: parseLatency('--max-p95', values['max-p95']) })
  if (values['max-p99'] !== undefined)
    thresholds.push({ option: '--max-p99', metric: 'p99', max: parseLatency('--max-p99', values['max-p99']) })
  if (values['max-error-rate'] !== undefined)
    thresholds.push({ option: '--max-error-rate', metric: 'errorRate', max: parseRate(values['max-error-rate']) })
  return thresholds
}

/** A latency limit in milliseconds: `300ms`, `1.5s`. The unit is required: a bare 300 could mean either. */
export function parseLatency(option: string, value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(value.trim())
  if (!match) throw new LoadOptionError(`${option} ${value}: a latency with its unit, e.g. 300ms or 1.5s`)
  const ms = Number(match[1]) * (match[2] === 's' ? 1000 : 1)
  if (ms <= 0) throw new LoadOptionError(`${option} must be above zero`)
  return ms
}

/** An error-rate limit as a fraction: `1%` or `0.01`; 0 allows no error at all. */
export function parseRate(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(%?)$/.exec(value.trim())
  const rate = match ? Number(match[1]) / (match[2] ? 100 : 1) : Number.NaN
  if (!(rate >= 0 && rate <= 1))
    throw new LoadOptionError(`--max-error-rate ${value}: a share between 0 and 1, or a percentage (1%)`)
  return rate
}

/**
 * The URL without its trailing slash, if its host is on loopback: load is never sent anywhere else. `from` names where
 * the URL came from, in the error.
 */
export function loopbackUrl(value: string, from = '--url'): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new LoadOptionError(`${from} ${value} is not a URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new LoadOptionError(`${from} ${value}: use http or https`)
  const host = url.hostname.replace(/^\[|\]$/g, '')
  const loopback = host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
  if (!loopback)
    throw new LoadOptionError(`${from} ${value}: load is only sent to loopback (localhost, 127.0.0.0/8, [::1])`)
  return url.origin
}

/** `10s`, `500ms`, `2m`, or a bare number of seconds. */
export function parseDuration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value.trim())
  if (!match) throw new LoadOptionError(`--duration ${value}: use e.g. 10s, 500ms or 2m`)
  const scale = { ms: 1, s: 1000, m: 60_000 }[(match[2] ?? 's') as 'ms' | 's' | 'm']
  const ms = Number(match[1]) * scale
  if (ms <= 0) throw new LoadOptionError('--duration must be above zero')
  return ms
}

/** `sku-mouse:3,sku-cable:1` (a missing weight is 1). */
export function parseMix(value: string): Weighted[] {
  return entries(value).map((entry) => {
    const [id, weight] = entry.split(':', 2) as [string, string | undefined]
    if (!id) throw new LoadOptionError(`--mix ${value}: an entry has no product id`)
    return { value: id, weight: weight === undefined ? 1 : positiveNumber(`--mix weight of ${id}`, weight) }
  })
}

/**
 * `payment=decline:0.1,payment=slow:200:0.05,inventory=slow:50:0.2`: a fault as the README's fault baggage names it
 * (`fault.payment=decline`, without `fault.`), then the share of requests that carry it (the last `:` part). The
 * shares add up to at most 1; the rest carry none.
 */
export function parseFaults(value: string): Weighted[] {
  const faults = entries(value).map((entry) => {
    const match = /^([a-z]+)=(.+):([\d.]+)$/.exec(entry)
    if (!match)
      throw new LoadOptionError(`--faults entry "${entry}": use service=fault:share, e.g. payment=decline:0.1`)
    const share = Number(match[3])
    if (!(share > 0 && share <= 1)) throw new LoadOptionError(`--faults entry "${entry}": the share is between 0 and 1`)
    return { value: `fault.${match[1]}=${match[2]}`, weight: share }
  })
  const total = faults.reduce((sum, fault) => sum + fault.weight, 0)
  if (total > 1 + 1e-9) throw new LoadOptionError(`--faults: the shares add up to ${total}, over 1`)
  return faults
}

/** Picks a value with probability weight / total weight. */
export function weightedPicker(choices: Weighted[], random: () => number = Math.random): () => string {
  const total = choices.reduce((sum, choice) => sum + choice.weight, 0)
  // Rounding can leave a point at the very end of the last range: that is the last choice.
  return () => valueAt(choices, random() * total) ?? choices[choices.length - 1]!.value
}

/** Picks a fault with probability its share, or none. */
export function faultPicker(faults: Weighted[], random: () => number = Math.random): () => string | undefined {
  return () => valueAt(faults, random())
}

/** The choice whose range holds `point`, the ranges laid end to end from 0 in list order; none past the last. */
function valueAt(choices: Weighted[], point: number): string | undefined {
  let left = point
  for (const choice of choices) {
    left -= choice.weight
    if (left < 0) return choice.value
  }
  return undefined
}

function entries(value: string): string[] {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
}

function positiveNumber(name: string, value: string): number {
  const number = Number(value)
  if (!(Number.isFinite(number) && number > 0)) throw new LoadOptionError(`${name} ${value}: a number above zero`)
  return number
}

function positiveInteger(name: string, value: string): number {
  const number = positiveNumber(name, value)
  if (!Number.isInteger(number)) throw new LoadOptionError(`${name} ${value}: a whole number`)
  return number
}
