import { drizzle } from 'drizzle-orm/libsql'
import { requireDatabase, type ServiceDefinition } from '../../shared/service.ts'
import { createInventoryApp } from './app.ts'
import { Inventory } from './domain.ts'
import * as schema from './schema.ts'

export const inventoryService: ServiceDefinition = {
  name: 'inventory',
  migrations: 'drizzle/inventory',
  create(context) {
    const { tracer } = context.telemetry
    const inventory = new Inventory(drizzle(requireDatabase(context), { schema }), tracer)
    return createInventoryApp({ inventory, telemetry: context.telemetry, env: context.env })
  },
}
