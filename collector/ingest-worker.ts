// The collector's ingest thread: decodes request bodies and stores their spans in a local libSQL file, so that
// neither a large body nor a large write ever holds the event loop that answers queries and /healthz.
import { FileSpanStore } from './file-store.ts'
import { decodeBody } from './otlp/decode.ts'
import { MalformedPayload } from './otlp/decode-json.ts'
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

async function ingest(request: IngestRequest): Promise<IngestReply> {
  const { id } = request
  let batch: ReturnType<typeof decodeBody>
  try {
    batch = decodeBody(request.encoding, new Uint8Array(request.body))
  } catch (error) {
    if (error instanceof MalformedPayload) return { id, ok: false, kind: 'malformed', message: error.message }
    return { id, ok: false, kind: 'internal', message: String((error as Error)?.stack ?? error) }
  }
  try {
    const entry = storeFor(request)
    const added = entry.store.insert(batch.spans)
    await entry.limits.afterWrite(added)
  } catch (error) {
    // A connection that failed is opened anew next time (the file may have been replaced or become readable again).
    open.get(request.path)?.store.close()
    open.delete(request.path)
    return { id, ok: false, kind: 'storage', message: String((error as Error)?.message ?? error) }
  }
  return { id, ok: true, rejected: batch.rejected, errors: batch.errors }
}

declare const self: Worker

// One request at a time, in arrival order: each is its own transaction, answered once committed.
let queue = Promise.resolve()
self.onmessage = (event: MessageEvent<IngestRequest>) => {
  queue = queue.then(async () => postMessage(await ingest(event.data)))
}

setInterval(() => {
  const now = Date.now()
  for (const [path, entry] of open) {
    if (now - entry.lastUsed < IDLE_MS) continue
    entry.store.close()
    open.delete(path)
  }
}, IDLE_MS)
