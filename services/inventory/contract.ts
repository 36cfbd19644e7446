import * as z from 'zod/mini'
import { identifier, itemsSchema } from '../../shared/validation.ts'
import type { ReservationStatus } from './schema.ts'

/** The inventory service's API, as its routes check it and its callers (gateway, order) read it. */

export interface Product {
  id: string
  name: string
  price: number
  available: number
}

/** An item of an order with the catalogue's unit price. */
export interface PricedItem {
  id: string
  quantity: number
  unitPrice: number
}

export interface Reservation {
  orderId: string
  status: ReservationStatus
  items: { id: string; quantity: number }[]
}

export const productParam = z.object({ id: identifier(64) })
export const orderParam = z.object({ orderId: identifier(64) })
export const availabilityRequest = z.object({ items: itemsSchema })
export const reservationRequest = z.object({ orderId: identifier(64), items: itemsSchema })
