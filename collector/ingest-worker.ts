// The collector's ingest thread: decodes request bodies and stores their spans in a local libSQL file, so that
// neither a large body nor a large write ever holds the event loop that answers queries and /healthz.
import { FileSpanStore } from './file-store.ts'
import { decodeBody } from './otlp/decode.ts'
import { MalformedPayload } from './otlp/json.ts'
import type { Encoding } from './otlp/response.ts'
import { retention } from './retention.ts'
import type { CollectorSettings } from './settings.ts'

/** One request body to decode and store in the file at `path`. */
export interface IngestRequest {
  id: number
  path: string
  settings: Pick<CollectorSettings, 'maxSpans' | 'maxAgeHours'>
  encoding: Encoding
  body: ArrayBuffer
}

export type IngestReply =
  | { id: number; ok: true; rejected: number; errors: string[] }
  | { id: number; ok: false; kind: 'malformed' | 'storage' | 'internal'; message: string }

/** A file's connection is closed after this long without a request (a test's temporary file may be gone by then). */
const IDLE_MS = 10_000

interface Open {
  store: FileSpanStore
  limits: ReturnType<typeof retention>
  lastUsed: number
}

const open = new Map<string, Open>()

function storeFor(request: IngestRequest): Open {
  let entry = open.get(request.path)
  if (!entry) {
    const store = new FileSpanStore(request.path)
    entry = { store, limits: retention(store.sql, request.settings), lastUsed: 0 }
    open.set(request.path, entry)
  }
  entry.lastUsed = Date.now()
  return entry
}

type Decoded = { request: IngestRequest; batch: ReturnType<typeof decodeBody> }

/** The request's spans, or the reply that refuses it. */
function decode(request: IngestRequest): Decoded | IngestReply {
  try {
    return { request, batch: decodeBody(request.encoding, new Uint8Array(request.body)) }
  } catch (error) {
    const { id } = request
    if (error instanceof MalformedPayload) return { id, ok: false, kind: 'malformed', message: error.message }
    return { id, ok: false, kind: 'internal', message: String((error as Error)?.stack ?? error) }
  }
}

/** Stores the spans of requests to one file in one transaction: each request is then all stored or not at all. */
async function store(group: Decoded[]): Promise<IngestReply[]> {
  const { path } = group[0]!.request
  try {
    const entry = storeFor(group[0]!.request)
    const added = entry.store.insert(group.flatMap(({ batch }) => batch.spans))
    await entry.limits.afterWrite(added)
  } catch (error) {
    // A connection that failed is opened anew next time (the file may have been replaced or become readable again).
    open.get(path)?.store.close()
    open.delete(path)
    const message = String((error as Error)?.message ?? error)
    return group.map(({ request }) => ({ id: request.id, ok: false, kind: 'storage', message }))
  }
  return group.map(({ request, batch }) => ({
    id: request.id,
    ok: true,
    rejected: batch.rejected,
    errors: batch.errors,
  }))
}

declare const self: Worker

/**
 * Requests that arrive while a commit runs are stored together in the next one (a group commit: fewer commits and
 * pages written for the same spans); each is answered once its spans are committed, in arrival order.
 */
const inbox: IngestRequest[] = []
let draining = false

self.onmessage = (event: MessageEvent<IngestRequest>) => {
  inbox.push(event.data)
  if (draining) return
  draining = true
  // A turn later: requests already queued behind this one join its commit. Not setTimeout(0), which waits a
  // millisecond in Bun: the thread sat idle that long before every commit.
  setImmediate(drain)
}

async function drain(): Promise<void> {
  while (inbox.length > 0) {
    const requests = inbox.splice(0)
    const groups = new Map<string, Decoded[]>()
    for (const request of requests) {
      const decoded = decode(request)
      if (!('request' in decoded)) {
        postMessage(decoded)
        continue
      }
      const group = groups.get(request.path) ?? []
      group.push(decoded)
      groups.set(request.path, group)
    }
    for (const group of groups.values()) for (const reply of await store(group)) postMessage(reply)
  }
  draining = false
}

setInterval(() => {
  const now = Date.now()
  for (const [path, entry] of open) {
    if (now - entry.lastUsed < IDLE_MS) continue
    entry.store.close()
    open.delete(path)
  }
}, IDLE_MS)
