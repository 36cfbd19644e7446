import { LatencyHistogram } from './histogram.ts'

/** One second of a run, each event counted in the second it happened: a request when sent, an answer when received. */
export interface SecondStats {
  /** Seconds since the start: this entry covers [second, second + 1). */
  second: number
  sent: number
  /** Open model: requests due in this second but not sent (too many in flight). */
  notSent: number
  /** Answers received, by status class: `2xx`, `4xx`, `5xx` always, others when seen. */
  answered: Record<string, number>
  /** Requests that ended without an answer: client timeouts and network errors. */
  noAnswer: number
  /** Latency of the requests that ended in this second, in milliseconds; null when none did. */
  p50: number | null
  p99: number | null
}

/**
 * The run second by second, in fixed memory per second: events arrive in time order, so only the current second
 * keeps a histogram and an earlier one is reduced to its percentiles as soon as a later event arrives.
 */
export class SecondSeries {
  private readonly done: SecondStats[] = []
  private current = emptySecond(0)
  private latency = new LatencyHistogram()

  constructor(private readonly startedAt: number) {}

  sent(at: number): void {
    this.secondAt(at).sent++
  }

  notSent(at: number): void {
    this.secondAt(at).notSent++
  }

  /** A request ended at `at` with `outcome` (`201`, `402 payment_declined`, `client_timeout`) after `ms`. */
  ended(at: number, outcome: string, ms: number): void {
    const second = this.secondAt(at)
    const statusClass = statusClassOf(outcome)
    if (statusClass) second.answered[statusClass] = (second.answered[statusClass] ?? 0) + 1
    else second.noAnswer++
    this.latency.record(ms)
  }

  /** Every second from the start to the last event, seconds without events included. */
  seconds(): SecondStats[] {
    return [...this.done, this.closed()]
  }

  private secondAt(at: number): SecondStats {
    const second = Math.max(0, Math.floor((at - this.startedAt) / 1000))
    while (this.current.second < second) {
      this.done.push(this.closed())
      this.current = emptySecond(this.current.second + 1)
      this.latency = new LatencyHistogram()
    }
    return this.current
  }

  private closed(): SecondStats {
    const { p50, p99 } = this.latency.summary()
    const answered = this.latency.count > 0
    return { ...this.current, p50: answered ? p50 : null, p99: answered ? p99 : null }
  }
}

/** `2xx` for `201`, `4xx` for `402 payment_declined`; undefined for an outcome without a status. */
export function statusClassOf(outcome: string): string | undefined {
  const match = /^([1-5])\d\d\b/.exec(outcome)
  return match ? `${match[1]}xx` : undefined
}

function emptySecond(second: number): SecondStats {
  return { second, sent: 0, notSent: 0, answered: { '2xx': 0, '4xx': 0, '5xx': 0 }, noAnswer: 0, p50: null, p99: null }
}
