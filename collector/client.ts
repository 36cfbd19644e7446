import { hc } from 'hono/client'
import { type JsonResponse, type Upstream, unwrap } from '../shared/client.ts'
import type { ErrorBody } from '../shared/errors.ts'
import type { CollectorApp } from './app.ts'
import type { JaegerTrace } from './jaeger.ts'
import type { JaegerEnvelope } from './jaeger-envelope.ts'
import type { TraceSearchParams } from './trace-query.ts'

/** The collector's query API as its callers (the `traces` CLI) see it. */
export interface TraceApi {
  services(): Promise<string[]>
  operations(service: string): Promise<string[]>
  trace(traceId: string): Promise<JaegerTrace>
  search(params: TraceSearchParams): Promise<JaegerTrace[]>
}

export function createCollectorClient({ baseUrl, fetch }: Upstream): TraceApi {
  const api = hc<CollectorApp>(baseUrl, { fetch }).api
  const data = async <T>(pending: Promise<JsonResponse>) =>
    (await unwrap<{ data: T }>('collector', asProjectError(pending))).data
  return {
    services: () => data(api.services.$get()),
    operations: (service) => data(api.services[':service'].operations.$get({ param: { service } })),
    trace: async (traceId) => (await data<JaegerTrace[]>(api.traces[':traceId'].$get({ param: { traceId } })))[0]!,
    search: (params) => data(api.traces.$get({ query: params })),
  }
}

/**
 * Jaeger's error envelope read as the project's error body, so a trace the collector does not have is the same
 * `404 not_found` (with the collector's message) that any service's client throws.
 */
async function asProjectError(pending: Promise<JsonResponse>): Promise<JsonResponse> {
  const response = await pending
  if (response.ok) return response
  const body = (await response.json().catch(() => undefined)) as JaegerEnvelope<null> | undefined
  const msg = body?.errors?.[0]?.msg
  const code = response.status === 404 ? 'not_found' : response.status === 400 ? 'invalid_request' : 'internal_error'
  const error: ErrorBody | undefined = msg ? { error: { code, message: msg }, traceId: '' } : undefined
  return { ok: false, status: response.status, json: async () => error }
}
