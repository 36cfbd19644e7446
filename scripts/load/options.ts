import { parseArgs } from 'node:util'

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

export class LoadOptionError extends Error {
  override readonly name = 'LoadOptionError'
}

export const DEFAULTS = { url: 'http://localhost:8080', concurrency: 8, duration: '10s', maxRequests: 100_000 } as const

/** `bun run load` arguments into options; throws LoadOptionError with a message for the user. */
export function parseLoadArgs(argv: string[]): { options: LoadOptions; json: boolean } {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      url: { type: 'string', default: DEFAULTS.url },
      rate: { type: 'string' },
      concurrency: { type: 'string' },
      duration: { type: 'string', default: DEFAULTS.duration },
      'max-requests': { type: 'string', default: String(DEFAULTS.maxRequests) },
      mix: { type: 'string' },
      faults: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  })
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
    json: values.json!,
    options: {
      url: loopbackUrl(values.url!),
      model,
      durationMs: parseDuration(values.duration!),
      maxRequests: positiveInteger('--max-requests', values['max-requests']!),
      mix: values.mix ? parseMix(values.mix) : [],
      faults: values.faults ? parseFaults(values.faults) : [],
    },
  }
}

/** The URL without its trailing slash, if its host is on loopback: load is never sent anywhere else. */
export function loopbackUrl(value: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new LoadOptionError(`--url ${value} is not a URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new LoadOptionError(`--url ${value}: use http or https`)
  const host = url.hostname.replace(/^\[|\]$/g, '')
  const loopback = host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
  if (!loopback)
    throw new LoadOptionError(`--url ${value}: load is only sent to loopback (localhost, 127.0.0.0/8, [::1])`)
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
