import type { ServiceDefinition } from '../shared/service.ts'
import { startLocal } from './local.ts'

/** `export default await serveOnBun(service)`: Bun serves the returned `{ port, fetch }`. */
export async function serveOnBun(service: ServiceDefinition) {
  const { instance, telemetry, port } = await startLocal(service, process.env, {
    'process.runtime.name': 'bun',
    'process.runtime.version': Bun.version,
  })
  // Spans still queued get a moment to leave; an unreachable collector must not hold the process up.
  const stop = () => Promise.race([telemetry.shutdown(), Bun.sleep(2000)]).finally(() => process.exit(0))
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
  return { port, fetch: instance.fetch }
}
