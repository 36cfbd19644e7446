import type { Env } from './telemetry/config.ts'
import { baggageValue } from './telemetry/propagation.ts'

/**
 * A fault to inject, chosen per request through W3C baggage (`fault.payment=timeout`) or service-wide through env
 * (`PAYMENT_FAULT=timeout`), and honoured only when `FAULTS=on`. `value` is what was asked for; the domain span
 * that obeys it records it as `fault.injected`.
 * - `timeout`: every attempt hangs until it times out; `timeout:<n>`: only the first n attempts do
 * - `decline`: the payment provider declines
 * - `slow:<ms>`: the work takes ms longer (at most 60 s); `fault.user=slow:<ms>` slows the order service's user check
 * - `crash:<step>`: the order service dies at that step of the saga (tests of crash recovery)
 */
export type Fault = { value: string } & (
  | { kind: 'timeout'; attempts: number }
  | { kind: 'decline' }
  | { kind: 'slow'; ms: number }
  | { kind: 'crash'; step: string }
)

export type FaultTarget = 'payment' | 'inventory' | 'order' | 'user'

export function parseFault(value: string | undefined): Fault | undefined {
  if (!value) return undefined
  const [kind, arg = ''] = value.trim().split(':', 2)
  const number = Number(arg)
  if (kind === 'timeout')
    return { value, kind, attempts: arg && Number.isInteger(number) && number > 0 ? number : Infinity }
  if (kind === 'decline') return { value, kind }
  if (kind === 'slow' && Number.isFinite(number) && number > 0) return { value, kind, ms: Math.min(number, 60_000) }
  if (kind === 'crash' && arg) return { value, kind, step: arg }
  return undefined
}

/** The fault asked of `target` for the active request, if faults are on. */
export function activeFault(env: Env, target: FaultTarget): Fault | undefined {
  if (env.FAULTS !== 'on') return undefined
  return parseFault(baggageValue(`fault.${target}`) ?? env[`${target.toUpperCase()}_FAULT`])
}
