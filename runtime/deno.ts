import type { ServiceDefinition } from '../shared/service.ts'
import { exitOnStopSignal, startLocal } from './local.ts'

/** The part of the `Deno` namespace this adapter uses (the project typechecks with tsc, which has no Deno types). */
declare const Deno: {
  version: { deno: string }
  env: { toObject(): Record<string, string> }
  serve(
    options: { port: number; hostname: string },
    handler: (request: Request) => Response | Promise<Response>,
  ): unknown
}

/** `await serveOnDeno(service)`: `Deno.serve` on the service's port. */
export async function serveOnDeno(service: ServiceDefinition) {
  const { instance, telemetry, port, hostname } = await startLocal(service, Deno.env.toObject(), {
    'process.runtime.name': 'deno',
    'process.runtime.version': Deno.version.deno,
  })
  exitOnStopSignal(telemetry)
  Deno.serve({ port, hostname }, instance.fetch)
}
