import { hc } from 'hono/client'
import { type JsonResponse, type Upstream, unwrap } from '../shared/client.ts'
import type { CollectorApp } from './app.ts'
import type { JaegerTrace } from './jaeger.ts'
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
  const data = async <T>(pending: Promise<JsonResponse>) => (await unwrap<{ data: T }>('collector', pending)).data
  return {
    services: () => data(api.services.$get()),
    operations: (service) => data(api.services[':service'].operations.$get({ param: { service } })),
    trace: async (traceId) => (await data<JaegerTrace[]>(api.traces[':traceId'].$get({ param: { traceId } })))[0]!,
    search: (params) => data(api.traces.$get({ query: params })),
  }
}
