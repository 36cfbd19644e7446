import type { ServiceDefinition } from '../shared/service.ts'
import { exitOnStopSignal, startLocal } from './local.ts'

/** `export default await serveOnBun(service)`: Bun serves the returned `{ port, fetch }`. */
export async function serveOnBun(service: ServiceDefinition) {
  const { instance, telemetry, port } = await startLocal(service, process.env, {
    'process.runtime.name': 'bun',
    'process.runtime.version': Bun.version,
  })
  exitOnStopSignal(telemetry)
  return { port, fetch: instance.fetch }
}
