import { type AppBase, serviceApp } from '../../shared/app.ts'
import { AppError } from '../../shared/errors.ts'
import { validate } from '../../shared/validation.ts'
import { orderParam, type Payment, paymentRequest } from './contract.ts'
import type { Payments } from './domain.ts'

export function createPaymentApp({ payments, ...base }: AppBase & { payments: Payments }) {
  return serviceApp(base, 'internal')
    .post('/payments', validate('json', paymentRequest), async (c) => {
      const { orderId, amount } = c.req.valid('json')
      return c.json(await payments.create(orderId, amount), 201)
    })
    .get('/payments', validate('query', orderParam), async (c) =>
      c.json(found(await payments.byOrder(c.req.valid('query').orderId))),
    )
    .get('/payments/:id', async (c) => c.json(found(await payments.get(c.req.param('id')))))
    .post('/orders/:orderId/payment/void', validate('param', orderParam), async (c) =>
      c.json(await payments.void(c.req.valid('param').orderId)),
    )
    .post('/orders/:orderId/payment/refund', validate('param', orderParam), async (c) =>
      c.json(found(await payments.refund(c.req.valid('param').orderId))),
    )
}

function found(payment: Payment | undefined): Payment {
  if (!payment) throw new AppError(404, 'not_found', 'no such payment')
  return payment
}

export type PaymentApp = ReturnType<typeof createPaymentApp>
