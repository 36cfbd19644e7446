// Regenerates drizzle/<service>/ from each service's schema.ts (run after changing a schema).
import { $ } from 'bun'

for (const service of ['order', 'inventory', 'payment']) {
  await $`bunx drizzle-kit generate --dialect sqlite --schema services/${service}/schema.ts --out drizzle/${service} --name init`
}
await $`bunx drizzle-kit generate --dialect sqlite --schema collector/schema.ts --out drizzle/collector --name init`
