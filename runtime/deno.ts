import type { ServiceDefinition } from '../shared/service.ts'
import { startLocal } from './local.ts'

/** The part of the `Deno` namespace this adapter uses (the project typechecks with tsc, which has no Deno types). */
declare const Deno: {
  version: { deno: string }
  env: { toObject(): Record<string, string> }
  serve(options: { port: number }, handler: (request: Request) => Response | Promise<Response>): unknown
  addSignalListener(signal: 'SIGTERM' | 'SIGINT', handler: () => void): void
  exit(code: number): never
}

/** `await serveOnDeno(service)`: `Deno.serve` on the service's port; spans are flushed on SIGTERM and SIGINT. */
export async function serveOnDeno(service: ServiceDefinition) {
  const { app, telemetry, port } = await startLocal(service, Deno.env.toObject(), {
    'process.runtime.name': 'deno',
    'process.runtime.version': Deno.version.deno,
  })
  Deno.serve({ port }, app.fetch)
  const stop = () => void telemetry.shutdown().finally(() => Deno.exit(0))
  Deno.addSignalListener('SIGTERM', stop)
  Deno.addSignalListener('SIGINT', stop)
}
