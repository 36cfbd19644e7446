import { inventoryService } from '../services/inventory/service.ts'
import { orderService } from '../services/order/service.ts'
import { paymentService } from '../services/payment/service.ts'
import type { Env } from '../shared/telemetry/config.ts'

/** The services that own a database (they declare drizzle migrations). */
export const databaseServices = [orderService, inventoryService, paymentService]

const DEFAULT_SQLD_PORT = 8090

/** One local sqld per database, on `SQLD_PORT` (default 8090) and the ports after it, and its HTTP URL. */
export function localSqldServers(env: Env) {
  const first = Number(env.SQLD_PORT || DEFAULT_SQLD_PORT)
  return databaseServices.map(({ name }, index) => ({
    name,
    port: first + index,
    url: `http://127.0.0.1:${first + index}`,
  }))
}
