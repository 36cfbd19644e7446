import type { ServiceDefinition } from '../../shared/service.ts'
import { createInventoryClient } from '../inventory/client.ts'
import { createOrderClient } from '../order/client.ts'
import { createGatewayApp } from './app.ts'
import { Gateway } from './domain.ts'

export const gatewayService: ServiceDefinition = {
  name: 'gateway',
  create(context) {
    const { tracer } = context.telemetry
    const gateway = new Gateway({
      orders: createOrderClient(context.upstream('order')),
      inventory: createInventoryClient(context.upstream('inventory')),
      tracer,
    })
    return createGatewayApp({ gateway, telemetry: context.telemetry, env: context.env })
  },
}
