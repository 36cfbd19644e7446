import { drizzle } from 'drizzle-orm/libsql'
import { faultsFrom } from '../../shared/faults.ts'
import { requireDatabase, type ServiceDefinition } from '../../shared/service.ts'
import { createInventoryApp } from './app.ts'
import { Inventory } from './domain.ts'
import * as schema from './schema.ts'

export const inventoryService: ServiceDefinition = {
  name: 'inventory',
  migrations: 'drizzle/inventory',
  create(context) {
    const { env, telemetry } = context
    const db = drizzle(requireDatabase(context), { schema })
    const inventory = new Inventory({ db, tracer: telemetry.tracer, faults: faultsFrom(env) })
    return createInventoryApp({ inventory, telemetry, env })
  },
}
