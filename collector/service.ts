import { drizzle } from 'drizzle-orm/libsql'
import { requireDatabase, type ServiceDefinition } from '../shared/service.ts'
import { createCollectorApp } from './app.ts'
import * as schema from './schema.ts'
import { collectorSettings } from './settings.ts'

/** The collector as the runtimes see it. It is not traced: `bun.ts` turns the SDK off, or its spans would loop back into it. */
export const collectorService: ServiceDefinition = {
  name: 'collector',
  migrations: 'drizzle/collector',
  create(context) {
    return createCollectorApp({
      db: drizzle(requireDatabase(context), { schema }),
      settings: collectorSettings(context.env),
    })
  },
}
