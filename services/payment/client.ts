import { hc } from 'hono/client'
import { type Upstream, unwrap } from '../../shared/client.ts'
import type { PaymentApp } from './app.ts'
import type { Payment } from './contract.ts'

/** The payment service as its callers see it. */
export interface PaymentApi {
  create(orderId: string, amount: number): Promise<Payment>
  /** Voids the order's payment unless it already succeeded; answers the payment as it stands after. */
  void(orderId: string): Promise<Payment>
  /** Refunds the order's payment if it succeeded. */
  refund(orderId: string): Promise<Payment>
}

export function createPaymentClient({ baseUrl, fetch }: Upstream): PaymentApi {
  const api = hc<PaymentApp>(baseUrl, { fetch })
  const byOrder = api.orders[':orderId'].payment
  return {
    create: (orderId, amount) =>
      unwrap('payment', api.payments.$post({ json: { orderId, amount } }), 'payment_timeout'),
    void: (orderId) => unwrap('payment', byOrder.void.$post({ param: { orderId: encodeURIComponent(orderId) } })),
    refund: (orderId) => unwrap('payment', byOrder.refund.$post({ param: { orderId: encodeURIComponent(orderId) } })),
  }
}
