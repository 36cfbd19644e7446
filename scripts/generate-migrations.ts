// Regenerates drizzle/<service>/ from each service's schema.ts after a schema change: `bun run db:generate <migration-name>`.
import { $ } from 'bun'

for (const service of ['order', 'inventory', 'payment']) {
  await $`bunx drizzle-kit generate --dialect sqlite --schema services/${service}/schema.ts --out drizzle/${service} --name ${process.argv[2] ?? 'init'}`
}
await $`bunx drizzle-kit generate --dialect sqlite --schema collector/schema.ts --out drizzle/collector --name init`
