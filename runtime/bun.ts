import type { ServiceDefinition } from '../shared/service.ts'
import { startLocal } from './local.ts'

/** `export default await serveOnBun(service)`: Bun serves the returned `{ port, fetch }`. */
export async function serveOnBun(service: ServiceDefinition) {
  const { instance, telemetry, port } = await startLocal(service, process.env, {
    'process.runtime.name': 'bun',
    'process.runtime.version': Bun.version,
  })
  const stop = () => telemetry.shutdown().finally(() => process.exit(0))
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
  return { port, fetch: instance.fetch }
}
