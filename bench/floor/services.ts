// The floor's four services: the order path of the shop, as it was when the floor was set, with nothing but its hops
// and its statements. No framework (a bare `Bun.serve` handler each), no validation, no credential, no deadline, no
// tracing. Each handler does what the service did for a one-or-more-item order that succeeds, and nothing for the
// paths that fail. It stays as it is when the shop changes: see statements.ts.
import type { Client, InArgs } from '@libsql/client'
import * as sql from './statements.ts'

export type FloorService = 'gateway' | 'order' | 'inventory' | 'payment'

/** Where a service finds the others and its database. */
export interface FloorDeps {
  urls: Record<FloorService, string>
  db?: Client
  /** The simulated card processor's answer time, as PAYMENT_PROVIDER_LATENCY_MS (20 ms by default). */
  providerLatencyMs: number
}

interface Item {
  id: string
  quantity: number
}

type Handler = (request: Request, url: URL) => Promise<Response>

/** The order service's default ORDER_MAX_OPEN_ORDERS, bound into the insert as the shop binds it. */
const MAX_OPEN_ORDERS = 5

const json = (body: unknown, status = 200) => Response.json(body, { status })
const post = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

/** The routes of `service`; anything else is a 404. */
export function floorHandler(service: FloorService, deps: FloorDeps): (request: Request) => Promise<Response> {
  const routes = ROUTES[service](deps)
  return async (request) => {
    const url = new URL(request.url)
    if (url.pathname === '/healthz') return json({ status: 'ok' })
    const handler = routes(request, url)
    return handler ? handler(request, url) : json({ error: 'not found' }, 404)
  }
}

const ROUTES: Record<FloorService, (deps: FloorDeps) => (request: Request, url: URL) => Handler | undefined> = {
  gateway: ({ urls }) => {
    const placeOrder: Handler = async (request) => {
      const answer = await fetch(`${urls.order}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: await request.text(),
      })
      return new Response(await answer.text(), { status: answer.status, headers: answer.headers })
    }
    const listProducts: Handler = async () => new Response((await fetch(`${urls.inventory}/products`)).body)
    return (request, url) => {
      if (request.method === 'POST' && url.pathname === '/api/orders') return placeOrder
      if (request.method === 'GET' && url.pathname === '/api/products') return listProducts
    }
  },

  order: ({ urls, db }) => {
    const database = db!
    const placeOrder: Handler = async (request) => {
      const { userId, items } = (await request.json()) as { userId: string; items: Item[] }
      // The pre-checks, at once as the shop runs them: stock, and each item's price.
      const [, ...prices] = await Promise.all([
        post(`${urls.inventory}/availability`, { items }).then((answer) => answer.json()),
        ...items.map((item) =>
          fetch(`${urls.inventory}/products/${encodeURIComponent(item.id)}`).then(
            (answer) => answer.json() as Promise<{ price: number }>,
          ),
        ),
      ])
      const priced = items.map((item, index) => ({ ...item, unitPriceCents: Math.round(prices[index]!.price * 100) }))
      const total = priced.reduce((sum, item) => sum + item.unitPriceCents * item.quantity, 0)
      const id = crypto.randomUUID()
      const now = Date.now()
      await database.batch([
        {
          sql: sql.order.insertOrder,
          args: [
            id,
            userId,
            total,
            null,
            now,
            now,
            userId,
            'pending',
            'reserved',
            'completing',
            'cancelling',
            MAX_OPEN_ORDERS,
          ],
        },
        {
          sql: sql.order.insertItems(priced.length),
          args: priced.flatMap((item) => [id, item.id, item.quantity, item.unitPriceCents]),
        },
      ])
      await post(`${urls.inventory}/reservations`, { orderId: id, items }).then((answer) => answer.json())
      await transition(database, id, 'pending', 'reserved')
      const charged = (await post(`${urls.payment}/payments`, { orderId: id, amount: total / 100 }).then((answer) =>
        answer.json(),
      )) as { id: string }
      await database.execute({
        sql: sql.order.transitionWithPayment,
        args: ['completing', charged.id, Date.now(), id, 'reserved'],
      })
      await post(`${urls.inventory}/reservations/${id}/commit`, {}).then((answer) => answer.json())
      const order = {
        id,
        userId,
        items: priced.map(({ id, quantity, unitPriceCents }) => ({ id, quantity, unitPrice: unitPriceCents / 100 })),
        totalAmount: total / 100,
        status: 'paid',
        paymentId: charged.id,
        createdAt: new Date(now).toISOString(),
      }
      await database.batch([
        { sql: sql.order.transition, args: ['paid', Date.now(), id, 'completing'] },
        {
          sql: sql.order.recordNotification,
          args: [crypto.randomUUID(), id, 'order.paid', JSON.stringify(order), null, Date.now()],
        },
      ])
      return json(order, 201)
    }
    deliverNotifications(database)
    return (request, url) => {
      if (request.method === 'POST' && url.pathname === '/orders') return placeOrder
    }
  },

  inventory: ({ db }) => {
    const database = db!
    const product = (row: Record<string, unknown>) => ({
      id: row.id,
      name: row.name,
      price: Number(row.price_cents) / 100,
      available: Number(row.available),
    })
    const productsIn = (items: Item[]) =>
      database.execute({ sql: sql.inventory.productsIn(items.length), args: items.map((item) => item.id) })
    const reservationOf = (orderId: string) => database.execute({ sql: sql.inventory.reservationOf, args: [orderId] })
    const routes: Record<string, Handler> = {
      'GET /products': async () => json((await database.execute(sql.inventory.listProducts)).rows.map(product)),
      'POST /availability': async (request) => {
        const { items } = (await request.json()) as { items: Item[] }
        const stock = new Map((await productsIn(items)).rows.map((row) => [row.id, row]))
        return json({
          items: items.map((item) => ({ ...item, unitPrice: Number(stock.get(item.id)!.price_cents) / 100 })),
        })
      },
      'POST /reservations': async (request) => {
        const { orderId, items } = (await request.json()) as { orderId: string; items: Item[] }
        await reservationOf(orderId)
        await productsIn(items)
        const now = Date.now()
        await database.batch([
          {
            sql: sql.inventory.insertReservations(items.length),
            args: items.flatMap((item) => [orderId, item.id, item.quantity, 'reserved', now]),
          },
          ...items.map((item) => ({ sql: sql.inventory.takeStock, args: [item.quantity, item.id] as InArgs })),
        ])
        return json({ orderId, status: 'reserved', items }, 201)
      },
    }
    return (request, url) => {
      const route = routes[`${request.method} ${url.pathname}`]
      if (route) return route
      const productId = /^\/products\/([^/]+)$/.exec(url.pathname)?.[1]
      if (request.method === 'GET' && productId) {
        return async () => {
          const { rows } = await database.execute({ sql: sql.inventory.product, args: [decodeURIComponent(productId)] })
          return json(product(rows[0]!))
        }
      }
      const committed = /^\/reservations\/([^/]+)\/commit$/.exec(url.pathname)?.[1]
      if (request.method === 'POST' && committed) {
        return async () => {
          await database.execute({ sql: sql.inventory.commit, args: ['committed', Date.now(), committed, 'reserved'] })
          const { rows } = await reservationOf(committed)
          return json({ reservation: { orderId: committed, status: 'committed', items: rows } })
        }
      }
    }
  },

  payment: ({ db, providerLatencyMs }) => {
    const database = db!
    const create: Handler = async (request) => {
      const { orderId, amount } = (await request.json()) as { orderId: string; amount: number }
      const now = Date.now()
      await database.execute({
        sql: sql.payment.record,
        args: [crypto.randomUUID(), orderId, Math.round(amount * 100), 'pending', 0, now, now],
      })
      const [record] = (await database.execute({ sql: sql.payment.byOrder, args: [orderId] })).rows
      const id = String(record!.id)
      await database.execute({
        sql: sql.payment.claim,
        args: ['charging', 1, Date.now(), id, 'pending', 'failed'],
      })
      await Bun.sleep(providerLatencyMs)
      const { rows } = await database.execute({
        sql: sql.payment.succeed,
        args: ['succeeded', `ch_${crypto.randomUUID()}`, Date.now(), id, 'charging'],
      })
      return json({ id, orderId, amount, status: rows[0]!.status }, 201)
    }
    return (request, url) => {
      if (request.method === 'POST' && url.pathname === '/payments') return create
    }
  },
}

function transition(database: Client, id: string, from: string, to: string) {
  return database.execute({ sql: sql.order.transition, args: [to, Date.now(), id, from] })
}

/**
 * The order service's outbox delivery, as the shop runs it: every second at most 50 due notifications, one line on
 * standard output and one update each.
 */
function deliverNotifications(database: Client): void {
  let running = false
  setInterval(async () => {
    if (running) return
    running = true
    try {
      const { rows } = await database.execute({ sql: sql.order.dueNotifications, args: [Date.now(), 50] })
      for (const row of rows) {
        console.log(`notification ${row.kind} order=${row.order_id} id=${row.id}`)
        await database.execute({ sql: sql.order.markDelivered, args: [Date.now(), row.id] })
      }
    } finally {
      running = false
    }
  }, 1000).unref()
}
