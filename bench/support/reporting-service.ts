// `bun bench/support/reporting-service.ts <service>`: the service as services/<name>/bun.ts starts it, that also
// prints its span processor's counts each half second. The bench reads spans dropped from here, so the public
// contract needs no telemetry endpoint.
import { gatewayService } from '../../services/gateway/service.ts'
import { inventoryService } from '../../services/inventory/service.ts'
import { orderService } from '../../services/order/service.ts'
import { paymentService } from '../../services/payment/service.ts'
import { startLocal } from '../../runtime/local.ts'
import { STATS_PREFIX } from './reporting-shop.ts'

const services = { gateway: gatewayService, order: orderService, inventory: inventoryService, payment: paymentService }
const service = services[process.argv[2] as keyof typeof services]
if (!service) throw new Error(`name one of ${Object.keys(services).join(', ')}`)

const { app, telemetry, port } = await startLocal(service, process.env, { 'process.runtime.name': 'bun', 'process.runtime.version': Bun.version })
Bun.serve({ port, fetch: app.fetch })
setInterval(() => console.log(`${STATS_PREFIX}${JSON.stringify(telemetry.stats())}`), 500)
