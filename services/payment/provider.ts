import type { Faults } from '../../shared/faults.ts'
import { sleep, untilAborted } from '../../shared/time.ts'

export class PaymentDeclined extends Error {
  override readonly name = 'PaymentDeclined'
}

/** The card processor as the payment service sees it. */
export interface PaymentProvider {
  /**
   * Charges `amountCents` under the payment's id (the provider's idempotency key); resolves to the charge's
   * reference. `attempt` counts from 1.
   */
  charge(request: { paymentId: string; amountCents: number; attempt: number }, signal: AbortSignal): Promise<string>
  /** The reference of the charge made under the payment's id, if one was made (what to ask after an unknown outcome). */
  lookup(paymentId: string, signal: AbortSignal): Promise<string | undefined>
  /** Gives a charge back; refunding one twice is harmless. */
  refund(reference: string, signal: AbortSignal): Promise<void>
}

const REMEMBERED_CHARGES = 10_000

/**
 * The simulated card processor, living inside the payment service: it answers after `latencyMs` and obeys the fault
 * asked of `payment` (`timeout`, `timeout:<n>` for the first n attempts, `decline`, `slow:<ms>`, `late:<ms>`). It charges a payment
 * id once: a repeated charge returns the first reference. Like a real provider's idempotency keys, it remembers
 * recent ones only (the last `REMEMBERED_CHARGES`), so memory stays flat.
 */
export class SimulatedProvider implements PaymentProvider {
  private readonly charged = new Map<string, string>()

  constructor(private readonly deps: { latencyMs: number; faults: Faults }) {}

  async charge({ paymentId, attempt }: Parameters<PaymentProvider['charge']>[0], signal: AbortSignal): Promise<string> {
    const fault = this.deps.faults.of('payment')
    if (fault?.kind === 'timeout' && attempt <= fault.attempts) await untilAborted(signal)
    // `late`: the charge goes through whether or not the caller still waits for it.
    if (fault?.kind === 'late') await sleep(this.deps.latencyMs + fault.ms)
    else await sleep(this.deps.latencyMs + (fault?.kind === 'slow' ? fault.ms : 0), signal)
    if (fault?.kind === 'decline') throw new PaymentDeclined('card declined by the provider')
    const reference = this.charged.get(paymentId) ?? `ch_${crypto.randomUUID()}`
    this.charged.set(paymentId, reference)
    // A Map iterates in insertion order: the first key is the oldest charge.
    if (this.charged.size > REMEMBERED_CHARGES) this.charged.delete(this.charged.keys().next().value!)
    return reference
  }

  async lookup(paymentId: string, signal: AbortSignal): Promise<string | undefined> {
    await sleep(this.deps.latencyMs, signal)
    return this.charged.get(paymentId)
  }

  async refund(_reference: string, signal: AbortSignal): Promise<void> {
    await sleep(this.deps.latencyMs, signal)
  }
}
