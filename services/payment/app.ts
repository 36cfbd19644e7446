import type { Tracer } from '@opentelemetry/api'
import { z } from 'zod'
import { serviceApp } from '../../shared/app.ts'
import { AppError } from '../../shared/errors.ts'
import { activeFault } from '../../shared/faults.ts'
import type { Env } from '../../shared/telemetry/config.ts'
import { validate } from '../../shared/validation.ts'
import type { Payments } from './domain.ts'

const paymentRequest = z.object({ orderId: z.string().min(1).max(64), amount: z.number().positive().max(1e9) })

export function createPaymentApp({ payments, tracer, env }: { payments: Payments; tracer: Tracer; env: Env }) {
  return serviceApp(tracer)
    .post('/payments', validate('json', paymentRequest), async (c) => {
      const { orderId, amount } = c.req.valid('json')
      return c.json(await payments.create(orderId, amount, activeFault(env, 'payment')), 201)
    })
    .get('/payments/:id', async (c) => {
      const payment = await payments.get(c.req.param('id'))
      if (!payment) throw new AppError(404, 'not_found', 'no such payment')
      return c.json(payment)
    })
}

export type PaymentApp = ReturnType<typeof createPaymentApp>
