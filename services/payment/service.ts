import { drizzle } from 'drizzle-orm/libsql'
import { numberSetting } from '../../shared/config.ts'
import { type Faults, faultsFrom } from '../../shared/faults.ts'
import { requireDatabase, type ServiceDefinition } from '../../shared/service.ts'
import type { Env } from '../../shared/telemetry/config.ts'
import { createPaymentApp } from './app.ts'
import { DEFAULT_RETRY_POLICY, Payments } from './domain.ts'
import { type PaymentProvider, SimulatedProvider } from './provider.ts'
import * as schema from './schema.ts'

/** The simulated card processor, answering after `PAYMENT_PROVIDER_LATENCY_MS`. */
const simulatedProvider = (env: Env, faults: Faults): PaymentProvider =>
  new SimulatedProvider({ latencyMs: numberSetting(env, 'PAYMENT_PROVIDER_LATENCY_MS', 20), faults })

/** The payment service charging through `provider` (a real processor's client; tests wrap the simulated one). */
export function createPaymentService(provider = simulatedProvider): ServiceDefinition {
  return {
    name: 'payment',
    migrations: 'drizzle/payment',
    create(context) {
      const { env, telemetry } = context
      const faults = faultsFrom(env)
      const payments = new Payments({
        db: drizzle(requireDatabase(context), { schema }),
        provider: provider(env, faults),
        tracer: telemetry.tracer,
        faults,
        policy: {
          maxAttempts: numberSetting(env, 'PAYMENT_MAX_ATTEMPTS', DEFAULT_RETRY_POLICY.maxAttempts),
          attemptTimeoutMs: numberSetting(env, 'PAYMENT_ATTEMPT_TIMEOUT_MS', DEFAULT_RETRY_POLICY.attemptTimeoutMs),
          backoffMs: numberSetting(env, 'PAYMENT_BACKOFF_MS', DEFAULT_RETRY_POLICY.backoffMs),
          deadlineMs: numberSetting(env, 'PAYMENT_DEADLINE_MS', DEFAULT_RETRY_POLICY.deadlineMs),
        },
      })
      const app = createPaymentApp({ payments, telemetry, env })
      return {
        fetch: app.fetch,
        tasks: [
          {
            name: 'payment reconciliation',
            run: () => payments.reconcileVoided(),
            everyMs: numberSetting(env, 'PAYMENT_RECONCILE_INTERVAL_MS', 10_000),
          },
        ],
      }
    },
  }
}

export const paymentService = createPaymentService()
