import { trace } from '@opentelemetry/api'
import type { Env } from './telemetry/config.ts'
import { baggageValue } from './telemetry/propagation.ts'

/**
 * A fault to inject, chosen per request through W3C baggage (`fault.payment=timeout`) or service-wide through env
 * (`PAYMENT_FAULT=timeout`), and honoured only when `FAULTS=on`:
 * - `timeout`: every attempt hangs until it times out; `timeout:<n>`: only the first n attempts do
 * - `decline`: the payment provider declines
 * - `slow:<ms>`: the work takes ms longer
 */
export type Fault = { kind: 'timeout'; attempts: number } | { kind: 'decline' } | { kind: 'slow'; ms: number }

export function parseFault(value: string | undefined): Fault | undefined {
  const [kind, arg] = (value ?? '').trim().split(':', 2)
  const number = Number(arg)
  if (kind === 'timeout') return { kind, attempts: arg && Number.isInteger(number) && number > 0 ? number : Infinity }
  if (kind === 'decline') return { kind }
  if (kind === 'slow' && Number.isFinite(number) && number > 0) return { kind, ms: Math.min(number, 60_000) }
  return undefined
}

/** The fault for `service` in this request, if faults are on; it is recorded on the active span. */
export function activeFault(env: Env, service: 'payment' | 'inventory'): Fault | undefined {
  if (env.FAULTS !== 'on') return undefined
  const value = baggageValue(`fault.${service}`) ?? env[`${service.toUpperCase()}_FAULT`]
  const fault = parseFault(value)
  if (fault) trace.getActiveSpan()?.addEvent('fault_injected', { 'fault.service': service, 'fault.value': value })
  return fault
}
