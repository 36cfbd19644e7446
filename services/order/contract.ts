import * as z from 'zod/mini'
import { numberSetting } from '../../shared/config.ts'
import { requestDeadline } from '../../shared/deadline.ts'
import { AppError } from '../../shared/errors.ts'
import type { Env } from '../../shared/telemetry/config.ts'
import { type ItemRequest, toCents } from '../../shared/types.ts'
import { identifier, itemsSchema } from '../../shared/validation.ts'
import type { PricedItem } from '../inventory/contract.ts'

/**
 * The order API: what the gateway offers the public and forwards to the order service, in one place both import.
 */

/**
 * pending: recorded; reserved: stock held; completing: paid for, its stock being committed; cancelling: given up, its
 * stock being released; paid and cancelled: final.
 */
export const orderStatuses = ['pending', 'reserved', 'completing', 'cancelling', 'paid', 'cancelled'] as const
export type OrderStatus = (typeof orderStatuses)[number]

/** Statuses of an order still in progress: recovery takes those a crash left behind. */
export const UNSETTLED: readonly OrderStatus[] = ['pending', 'reserved', 'completing', 'cancelling']

export interface Order {
  id: string
  userId: string
  items: PricedItem[]
  totalAmount: number
  status: OrderStatus
  paymentId?: string
  createdAt: string
}

export const placeOrderSchema = z.object({
  userId: identifier(128),
  items: itemsSchema,
  requestId: z.optional(identifier(128)),
})

export interface PlaceOrder {
  userId: string
  items: ItemRequest[]
  /** The Idempotency-Key header or the body's requestId. */
  requestId?: string
}

/** The attributes a placed order's spans carry, on the gateway and on the order service alike. */
export const placeOrderAttributes = (request: PlaceOrder) => ({
  'user.id': request.userId,
  'items.count': request.items.length,
  'request.id': request.requestId,
})

export const idempotencyHeader = z.object({ 'idempotency-key': z.optional(identifier(128)) })

const orderId = z.uuid()

/**
 * Order ids are UUIDs: anything else names no order (`404 order_not_found`), and never reaches another URL. Answered
 * in lowercase, as ids are stored: a UUID in capitals is the same id.
 */
export function orderIdFrom(value: string): string {
  if (!orderId.safeParse(value).success) throw new AppError(404, 'order_not_found', 'no such order')
  return value.toLowerCase()
}

/** The most orders one batch may hold; the gateway refuses a bigger batch, and lines past it are not processed. */
export const MAX_BATCH_ORDERS = 100

/**
 * A batch gets `BATCH_DEADLINE_MS` (default 30 s) rather than a single request's deadline, on the gateway and on the
 * order service alike; on the order service, its caller's shorter budget wins.
 */
export const batchDeadline = (env: Env, { fromCaller }: { fromCaller: boolean }) =>
  requestDeadline(numberSetting(env, 'BATCH_DEADLINE_MS', 30_000), { fromCaller })

/**
 * What became of one order of a batch: paid, the error code that stopped it, or still in progress (a repeated
 * `requestId` whose first request had not finished within the deadline); its own trace to look into.
 */
export interface BatchOutcome {
  index: number
  status: 'paid' | 'failed' | 'in_progress'
  orderId?: string
  error?: { code: string; message: string }
  traceId: string
}

/** An order's total in cents, from its priced items. */
export const totalCents = (items: PricedItem[]) =>
  items.reduce((sum, item) => sum + toCents(item.unitPrice) * item.quantity, 0)
