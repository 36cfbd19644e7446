import { hc } from 'hono/client'
import { type Upstream, unwrap } from '../../shared/client.ts'
import { AppError } from '../../shared/errors.ts'
import type { PaymentApp } from './app.ts'
import type { Payment } from './domain.ts'

/** The payment service as its callers see it. */
export interface PaymentApi {
  create(orderId: string, amount: number): Promise<Payment>
  /** The order's payment, or undefined if it has none. */
  findByOrder(orderId: string): Promise<Payment | undefined>
}

export function createPaymentClient({ baseUrl, fetch }: Upstream): PaymentApi {
  const api = hc<PaymentApp>(baseUrl, { fetch })
  return {
    create: (orderId, amount) =>
      unwrap('payment', api.payments.$post({ json: { orderId, amount } }), 'payment_timeout'),
    findByOrder: (orderId) =>
      unwrap<Payment>('payment', api.payments.$get({ query: { orderId } })).catch((error) => {
        if (error instanceof AppError && error.status === 404) return undefined
        throw error
      }),
  }
}
