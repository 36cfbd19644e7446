import type { Fault } from '../../shared/faults.ts'
import { sleep, untilAborted } from '../../shared/time.ts'

export class PaymentDeclined extends Error {
  override readonly name = 'PaymentDeclined'
}

export interface PaymentProvider {
  /** Charges `amountCents` under the payment's id (the provider's idempotency key); resolves to its reference. */
  charge(
    request: { paymentId: string; amountCents: number; attempt: number; fault?: Fault },
    signal: AbortSignal,
  ): Promise<string>
}

const REMEMBERED_CHARGES = 10_000

/**
 * The simulated card processor, living inside the payment service: it answers after `latencyMs` and obeys the
 * injected fault. It charges a payment id once: a repeated charge returns the first reference. Like a real
 * provider's idempotency keys, it remembers recent ones only (the last `REMEMBERED_CHARGES`), so memory stays flat.
 */
export class SimulatedProvider implements PaymentProvider {
  private readonly charged = new Map<string, string>()

  constructor(private readonly latencyMs: number) {}

  async charge(
    { paymentId, attempt, fault }: Parameters<PaymentProvider['charge']>[0],
    signal: AbortSignal,
  ): Promise<string> {
    if (fault?.kind === 'timeout' && attempt <= fault.attempts) await untilAborted(signal)
    await sleep(this.latencyMs + (fault?.kind === 'slow' ? fault.ms : 0), signal)
    if (fault?.kind === 'decline') throw new PaymentDeclined('card declined by the provider')
    const reference = this.charged.get(paymentId) ?? `ch_${crypto.randomUUID()}`
    this.charged.set(paymentId, reference)
    // A Map iterates in insertion order: the first key is the oldest charge.
    if (this.charged.size > REMEMBERED_CHARGES) this.charged.delete(this.charged.keys().next().value!)
    return reference
  }
}
