import { trace } from '@opentelemetry/api'
import type { Env } from './telemetry/config.ts'
import { baggageValue } from './telemetry/propagation.ts'
import { sleep } from './time.ts'

/**
 * A fault to inject, chosen per request through W3C baggage (`fault.payment=timeout`) or service-wide through env
 * (`PAYMENT_FAULT=timeout`), and honoured only when `FAULTS=on`. `value` is what was asked for; the span that obeys
 * it records it as `fault.injected`.
 * - `timeout`: every attempt hangs until it times out; `timeout:<n>`: only the first n attempts do
 * - `decline`: the payment provider declines
 * - `slow:<ms>`: the work takes ms longer (at most 60 s); `fault.user=slow:<ms>` slows the order service's user check
 * - `late:<ms>`: the payment provider ignores the caller's timeout and charges after ms (at most 60 s): a charge that
 *   succeeds after the order gave up on it
 * - `crash:<step>`: the order service dies at that step of the saga (tests of crash recovery)
 */
export type Fault = { value: string } & (
  | { kind: 'timeout'; attempts: number }
  | { kind: 'decline' }
  | { kind: 'slow'; ms: number }
  | { kind: 'late'; ms: number }
  | { kind: 'crash'; step: string }
)

/** Who a fault is aimed at: `fault.<target>` in baggage, `<TARGET>_FAULT` in env. */
export type FaultTarget = 'payment' | 'inventory' | 'order' | 'user'

/**
 * The one way services meet injected faults: a dependency each receives, consulted at named points of its work. Domain
 * code never takes a fault as an argument; tests and dev turn faults on, production leaves `FAULTS` unset.
 */
export interface Faults {
  /** The fault asked of `target` for the active request, if any. */
  of(target: FaultTarget): Fault | undefined
  /** Waits out a `slow:<ms>` fault asked of `target`, marking the active span; does nothing otherwise. */
  slowDown(target: FaultTarget): Promise<void>
}

/** Faults from the active request's baggage and the service's env, honoured only when `FAULTS=on`. */
export function faultsFrom(env: Env): Faults {
  const on = env.FAULTS === 'on'
  const of = (target: FaultTarget) =>
    on ? parseFault(baggageValue(`fault.${target}`) ?? env[`${target.toUpperCase()}_FAULT`]) : undefined
  return {
    of,
    async slowDown(target) {
      const fault = of(target)
      if (fault?.kind !== 'slow') return
      trace.getActiveSpan()?.setAttribute('fault.injected', fault.value)
      await sleep(fault.ms)
    },
  }
}

export function parseFault(value: string | undefined): Fault | undefined {
  if (!value) return undefined
  const [kind, arg = ''] = value.trim().split(':', 2)
  const number = Number(arg)
  if (kind === 'timeout')
    return { value, kind, attempts: arg && Number.isInteger(number) && number > 0 ? number : Infinity }
  if (kind === 'decline') return { value, kind }
  if ((kind === 'slow' || kind === 'late') && Number.isFinite(number) && number > 0) {
    return { value, kind, ms: Math.min(number, 60_000) }
  }
  if (kind === 'crash' && arg) return { value, kind, step: arg }
  return undefined
}
