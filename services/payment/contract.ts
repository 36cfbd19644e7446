import * as z from 'zod/mini'
import { identifier } from '../../shared/validation.ts'
import type { PaymentStatus } from './schema.ts'

/** The payment service's API, as its routes check it and the order service reads it. */

export interface Payment {
  id: string
  orderId: string
  amount: number
  status: PaymentStatus
}

export const paymentRequest = z.object({ orderId: identifier(64), amount: z.number().check(z.positive(), z.lte(1e9)) })
export const orderParam = z.object({ orderId: identifier(64) })
