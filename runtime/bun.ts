import type { ServiceDefinition } from '../shared/service.ts'
import { exitOnStopSignal, startLocal } from './local.ts'

/** `export default await serveOnBun(service)`: Bun serves the returned `{ port, hostname, fetch }`. */
export async function serveOnBun(service: ServiceDefinition) {
  const { instance, telemetry, port, hostname } = await startLocal(service, process.env, {
    'process.runtime.name': 'bun',
    'process.runtime.version': Bun.version,
  })
  exitOnStopSignal(telemetry)
  return { port, hostname, fetch: instance.fetch }
}
