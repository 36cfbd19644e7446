import { LatencyHistogram, type LatencySummary } from './histogram.ts'
import { faultPicker, type LoadModel, type LoadOptions, type Weighted, weightedPicker } from './options.ts'
import { SecondSeries, type SecondStats } from './series.ts'

/** Open-model requests beyond this many unanswered are not sent but counted: a stalled gateway must not exhaust sockets. */
export const MAX_IN_FLIGHT = 1024
const REQUEST_TIMEOUT_MS = 30_000

export interface LoadProgress {
  elapsedMs: number
  /** Answers in the last interval: their rate, latency and outcomes. */
  rate: number
  latency: LatencySummary
  outcomes: Record<string, number>
  inFlight: number
}

export interface LoadSummary {
  url: string
  model: LoadModel
  elapsedMs: number
  /** Requests answered (or failed on the client side); `outcomes` add up to it. */
  requests: number
  /** Open model: requests due while MAX_IN_FLIGHT were unanswered. */
  notSent: number
  /** Answers other than 2xx. */
  errors: number
  throughput: number
  latencyMs: LatencySummary
  /** By outcome: `201`, `402 payment_declined`, `client_timeout`, `network_error`. */
  outcomes: Record<string, { count: number; p50: number; p99: number }>
  /** Second by second: requests sent, answers by status class, p50 and p99. */
  seconds: SecondStats[]
}

export interface LoadRun {
  summary: LoadSummary
  /** Every latency of the run, for merging rounds. */
  histogram: LatencyHistogram
}

export interface LoadHooks {
  onProgress?(progress: LoadProgress): void
  progressEveryMs?: number
  /** Stops issuing requests; those in flight are awaited. */
  signal?: AbortSignal
}

/**
 * Places orders through `POST /api/orders` for the duration or up to the request bound, whichever comes first.
 * Latency is measured from when a request was due, so an open-model run counts the wait a slow gateway causes
 * (no coordinated omission).
 */
export async function runLoad(options: LoadOptions, hooks: LoadHooks = {}): Promise<LoadRun> {
  const pickProduct = weightedPicker(options.mix.length ? options.mix : await catalogueMix(options.url))
  const pickFault = faultPicker(options.faults)
  const total = new LatencyHistogram()
  const byOutcome = new Map<string, LatencyHistogram>()
  let interval = { latency: new LatencyHistogram(), outcomes: {} as Record<string, number>, since: performance.now() }
  let issued = 0
  let inFlight = 0
  let notSent = 0

  const started = performance.now()
  const series = new SecondSeries(started)
  const deadline = started + options.durationMs
  const running = () => performance.now() < deadline && issued + notSent < options.maxRequests && !hooks.signal?.aborted

  async function send(dueAt: number): Promise<void> {
    const sequence = issued++
    inFlight++
    series.sent(performance.now())
    const outcome = await placeOrder(
      options.url,
      { userId: `load-user-${sequence % 100}`, items: [{ id: pickProduct(), quantity: 1 }] },
      pickFault(),
    )
    const endedAt = performance.now()
    const ms = endedAt - dueAt
    inFlight--
    series.ended(endedAt, outcome, ms)
    total.record(ms)
    interval.latency.record(ms)
    interval.outcomes[outcome] = (interval.outcomes[outcome] ?? 0) + 1
    if (!byOutcome.has(outcome)) byOutcome.set(outcome, new LatencyHistogram())
    byOutcome.get(outcome)!.record(ms)
  }

  const ticker = setInterval(() => {
    const now = performance.now()
    hooks.onProgress?.({
      elapsedMs: now - started,
      rate: (interval.latency.count * 1000) / (now - interval.since),
      latency: interval.latency.summary(),
      outcomes: interval.outcomes,
      inFlight,
    })
    interval = { latency: new LatencyHistogram(), outcomes: {}, since: now }
  }, hooks.progressEveryMs ?? 1000)

  const pending = new Set<Promise<void>>()
  if (options.model.kind === 'closed') {
    const user = async () => {
      while (running()) await send(performance.now())
    }
    await Promise.all(Array.from({ length: options.model.concurrency }, user))
  } else {
    const gapMs = 1000 / options.model.rate
    let due = 0
    while (running()) {
      const now = performance.now()
      for (; started + due * gapMs <= now && issued + notSent < options.maxRequests; due++) {
        if (inFlight >= MAX_IN_FLIGHT) {
          notSent++
          series.notSent(performance.now())
          continue
        }
        const request = send(started + due * gapMs)
        pending.add(request)
        void request.finally(() => pending.delete(request))
      }
      await Bun.sleep(Math.max(0, Math.min(started + due * gapMs - performance.now(), 5)))
    }
    await Promise.all(pending)
  }
  clearInterval(ticker)

  const elapsedMs = performance.now() - started
  const outcomes = Object.fromEntries(
    [...byOutcome]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([outcome, histogram]) => {
        const { p50, p99 } = histogram.summary()
        return [outcome, { count: histogram.count, p50, p99 }]
      }),
  )
  const errors = [...byOutcome]
    .filter(([outcome]) => !outcome.startsWith('2'))
    .reduce((sum, [, histogram]) => sum + histogram.count, 0)
  return {
    histogram: total,
    summary: {
      url: options.url,
      model: options.model,
      elapsedMs: Math.round(elapsedMs),
      requests: total.count,
      notSent,
      errors,
      throughput: Math.round((total.count * 10_000) / elapsedMs) / 10,
      latencyMs: total.summary(),
      outcomes,
      seconds: series.seconds(),
    },
  }
}

/** One order; the outcome is the status, and for an error also the answer's `error.code` (shared/errors.ts). */
async function placeOrder(url: string, body: unknown, fault: string | undefined): Promise<string> {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (fault) headers.baggage = fault
  try {
    const response = await fetch(`${url}/api/orders`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    })
    const text = await response.text()
    if (response.ok) return String(response.status)
    return `${response.status} ${errorCode(text)}`
  } catch (error) {
    return error instanceof Error && error.name === 'TimeoutError' ? 'client_timeout' : 'network_error'
  }
}

function errorCode(body: string): string {
  try {
    return String(JSON.parse(body).error?.code ?? 'unknown')
  } catch {
    return 'not_json'
  }
}

/** The catalogue, each product weighted by its stock, so a default run sells what there is most of. */
async function catalogueMix(url: string): Promise<Weighted[]> {
  const response = await fetch(`${url}/api/products`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) }).catch(
    (error: Error & { code?: string }) => {
      throw new Error(
        `the gateway at ${url} does not answer (${error.code ?? error.message}): is it running (bun run dev)?`,
      )
    },
  )
  if (!response.ok) throw new Error(`GET ${url}/api/products answered ${response.status}`)
  const products = (await response.json()) as { id: string; available: number }[]
  const mix = products
    .filter((product) => product.available > 0)
    .map((product) => ({ value: product.id, weight: product.available }))
  if (!mix.length) throw new Error('the catalogue has nothing in stock: give --mix')
  return mix
}
