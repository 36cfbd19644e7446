import type { Client } from '@libsql/client'

/**
 * What must hold across the three databases whatever happened (faults, crashes, races), as a list of violations:
 * every paid order has a succeeded payment of its total and committed stock; no order that is not paid has a
 * succeeded payment; every cancelled order's stock is released (or was never reserved); nothing is left in progress;
 * and, per product, what paid orders bought plus what is available is the initial stock.
 */
export async function auditShop(
  databases: Record<'order' | 'inventory' | 'payment', Client>,
  initialStock: Record<string, number>,
): Promise<string[]> {
  const select = async (db: Client, sql: string) => (await db.execute(sql)).rows
  const orders = await select(databases.order, 'select id, status, total_cents from orders')
  const payments = new Map(
    (await select(databases.payment, 'select order_id, status, amount_cents from payments')).map((row) => [
      String(row.order_id),
      row,
    ]),
  )
  const reservations = new Map<string, string[]>()
  for (const row of await select(databases.inventory, 'select order_id, status from reservations')) {
    reservations.set(String(row.order_id), [...(reservations.get(String(row.order_id)) ?? []), String(row.status)])
  }
  const violations: string[] = []
  for (const order of orders) {
    const id = String(order.id)
    const payment = payments.get(id)
    const stock = reservations.get(id) ?? []
    if (order.status === 'paid') {
      if (payment?.status !== 'succeeded') violations.push(`paid order ${id} has payment ${payment?.status ?? 'none'}`)
      else if (payment.amount_cents !== order.total_cents)
        violations.push(`paid order ${id} was charged another amount`)
      if (stock.length === 0 || stock.some((status) => status !== 'committed')) {
        violations.push(`paid order ${id} has stock ${stock.join(',') || 'none'}`)
      }
    } else if (order.status === 'cancelled') {
      if (payment?.status === 'succeeded') violations.push(`cancelled order ${id} has a succeeded payment`)
      if (stock.some((status) => status !== 'released')) violations.push(`cancelled order ${id} holds stock`)
    } else {
      violations.push(`order ${id} left ${order.status}`)
    }
  }
  const orderIds = new Set(orders.map((order) => String(order.id)))
  for (const [orderId, payment] of payments) {
    if (payment.status === 'succeeded' && !orderIds.has(orderId)) violations.push(`payment for no order ${orderId}`)
  }
  const sold = await select(
    databases.inventory,
    "select product_id, sum(quantity) as n from reservations where status = 'committed' group by product_id",
  )
  const available = await select(databases.inventory, 'select id, available from products')
  for (const product of available) {
    const id = String(product.id)
    const bought = Number(sold.find((row) => row.product_id === id)?.n ?? 0)
    if (bought + Number(product.available) !== initialStock[id]) {
      violations.push(`${id}: ${bought} sold + ${product.available} available ≠ ${initialStock[id]} initial`)
    }
  }
  return violations
}

/** The stock of every product now, to audit against later. */
export async function stockOf(inventory: Client): Promise<Record<string, number>> {
  const rows = (await inventory.execute('select id, available from products')).rows
  return Object.fromEntries(rows.map((row) => [String(row.id), Number(row.available)]))
}
