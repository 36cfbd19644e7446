// Regenerates drizzle/<service>/ from each service's schema.ts after a schema change: `bun run db:generate <migration-name>`.
import { $ } from 'bun'
import { type CommandSpec, readCommandLine } from './cli.ts'

const GENERATE_COMMAND = {
  name: 'db:generate',
  synopsis: '[migration-name]',
  summary:
    "Regenerates drizzle/<service>/ from each service's schema.ts after a schema change, the new migration named\n" +
    "migration-name (default: init); the collector's schema is generated as init.",
  maxPositionals: 1,
  options: {},
  examples: ['bun run db:generate add_refunds'],
} as const satisfies CommandSpec

const { positionals } = readCommandLine(GENERATE_COMMAND)
const migrationName = positionals[0] ?? 'init'

for (const service of ['order', 'inventory', 'payment']) {
  await $`bunx drizzle-kit generate --dialect sqlite --schema services/${service}/schema.ts --out drizzle/${service} --name ${migrationName}`
}
await $`bunx drizzle-kit generate --dialect sqlite --schema collector/schema.ts --out drizzle/collector --name init`
