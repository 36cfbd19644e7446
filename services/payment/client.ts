import { hc } from 'hono/client'
import { unwrap, type Upstream } from '../../shared/client.ts'
import type { PaymentApp } from './app.ts'
import type { Payment } from './domain.ts'

/** The payment service as its callers see it. */
export interface PaymentApi {
  create(orderId: string, amount: number): Promise<Payment>
}

export function createPaymentClient({ baseUrl, fetch }: Upstream): PaymentApi {
  const api = hc<PaymentApp>(baseUrl, { fetch })
  return {
    create: (orderId, amount) => unwrap('payment', api.payments.$post({ json: { orderId, amount } })),
  }
}
