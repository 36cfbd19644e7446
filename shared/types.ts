/** A line of an order as callers send it. */
export interface ItemRequest {
  id: string
  quantity: number
}

/** Money crosses service boundaries as a decimal number of the currency unit; it is stored in cents. */
export const toAmount = (cents: number): number => cents / 100
export const toCents = (amount: number): number => Math.round(amount * 100)
