import { z } from 'zod'
import { type AppBase, serviceApp } from '../../shared/app.ts'
import { AppError } from '../../shared/errors.ts'
import { activeFault } from '../../shared/faults.ts'
import { validate } from '../../shared/validation.ts'
import type { Payment, Payments } from './domain.ts'

const paymentRequest = z.object({ orderId: z.string().min(1).max(64), amount: z.number().positive().max(1e9) })

export function createPaymentApp({ payments, ...base }: AppBase & { payments: Payments }) {
  return serviceApp(base)
    .post('/payments', validate('json', paymentRequest), async (c) => {
      const { orderId, amount } = c.req.valid('json')
      return c.json(await payments.create(orderId, amount, activeFault(base.env, 'payment')), 201)
    })
    .get('/payments/:id', async (c) => c.json(found(await payments.get(c.req.param('id')))))
    .get('/payments', validate('query', z.object({ orderId: z.string().min(1).max(64) })), async (c) =>
      c.json(found(await payments.byOrder(c.req.valid('query').orderId))),
    )
}

function found(payment: Payment | undefined): Payment {
  if (!payment) throw new AppError(404, 'not_found', 'no such payment')
  return payment
}

export type PaymentApp = ReturnType<typeof createPaymentApp>
