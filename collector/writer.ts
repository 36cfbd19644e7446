import { groupCommit } from './group-commit.ts'
import type { IngestReply, IngestRequest } from './ingest-worker.ts'
import type { SpanRecord } from './model.ts'
import { decodeBody } from './otlp/decode.ts'
import { MalformedPayload } from './otlp/json.ts'
import type { Encoding } from './otlp/response.ts'
import { clientSql, retention } from './retention.ts'
import type { CollectorSettings } from './settings.ts'
import { type CollectorDb, insertSpans } from './store.ts'

/** What became of a request's spans once stored: how many were invalid and dropped, and why (the first few). */
export interface IngestResult {
  rejected: number
  errors: string[]
}

/** The database failed: the receiver answers 503 with `Retry-After`, and exporters retry. */
export class StorageError extends Error {
  override readonly name = 'StorageError'
}

/** Spans arrive faster than they are stored: a 503 too, but nothing failed that a log should tell. */
export class QueueFull extends StorageError {}

/**
 * Where the receiver hands a request body: decoded, stored, then pruned to the retention limits. Throws
 * `MalformedPayload` for a body that is no `ExportTraceServiceRequest`, `StorageError` when the database fails.
 */
export interface SpanWriter {
  ingest(encoding: Encoding, body: Uint8Array): Promise<IngestResult>
}

/**
 * A local libSQL file (what `bun run dev` uses) is written by an ingest worker thread with its own connection, which
 * also decodes the bodies: the event loop that serves queries and `/healthz` only reads bodies and hands them over,
 * and the two cores share the work. Any other database (sqld or Turso over the network, `:memory:`) is written here,
 * through the app's client, with concurrent requests group-committed.
 */
export function createSpanWriter(
  db: CollectorDb,
  settings: CollectorSettings,
  { worker = true }: { worker?: boolean } = {},
): SpanWriter {
  // Started with the app, not by its first request, which waited the tens of milliseconds the thread takes to load.
  if (worker && db.$client.protocol === 'file') startIngestThread()
  let chosen: Promise<SpanWriter> | undefined
  const choose = async (): Promise<SpanWriter> => {
    const path = worker ? await localFile(db) : undefined
    return path ? workerWriter(path, settings) : inThreadWriter(db, settings)
  }
  return {
    async ingest(encoding, body) {
      chosen ??= choose().catch((error) => {
        chosen = undefined
        throw new StorageError(`cannot open the database: ${(error as Error).message}`)
      })
      return (await chosen).ingest(encoding, body)
    },
  }
}

/** The file behind a local libSQL client, or undefined for any other database. */
async function localFile(db: CollectorDb): Promise<string | undefined> {
  if (db.$client.protocol !== 'file') return undefined
  const { rows } = await db.$client.execute("select file from pragma_database_list where name = 'main'")
  const file = rows[0]?.[0]
  return typeof file === 'string' && file !== '' ? file : undefined
}

function inThreadWriter(db: CollectorDb, settings: CollectorSettings): SpanWriter {
  const limits = retention(clientSql(db), settings)
  const write = groupCommit<SpanRecord>(async (spans) => {
    await limits.afterWrite(await insertSpans(db, spans))
  })
  return {
    async ingest(encoding, body) {
      const batch = decodeBody(encoding, body)
      try {
        await write(batch.spans)
      } catch (error) {
        throw new StorageError((error as Error).message, { cause: error })
      }
      return { rejected: batch.rejected, errors: batch.errors }
    },
  }
}

/**
 * The one ingest thread of this process, shared by every app in it (tests make many): started with an app that
 * writes a file, and again on the next request if it died.
 */
let ingestThread: IngestThread | undefined

function startIngestThread(): IngestThread {
  if (!ingestThread?.alive) ingestThread = new IngestThread()
  return ingestThread
}

/** Bun's workers can be left out of what keeps the process alive, as Node's can. */
type BunWorker = Worker & { ref(): void; unref(): void }

class IngestThread {
  private readonly worker = new Worker(new URL('./ingest-worker.ts', import.meta.url).href) as BunWorker
  private readonly pending = new Map<number, (reply: IngestReply) => void>()
  private nextId = 0
  private stopped = false
  /** Bytes of the bodies sent and not answered yet. */
  queuedBytes = 0

  constructor() {
    // Idle, the thread does not keep the process alive; a request in flight does.
    this.worker.unref()
    this.worker.onmessage = (event: MessageEvent<IngestReply>) => {
      const reply = this.pending.get(event.data.id)
      this.pending.delete(event.data.id)
      if (this.pending.size === 0) this.worker.unref()
      reply?.(event.data)
    }
    const fail = (message: string) => {
      this.stop()
      for (const [id, reply] of this.pending) reply({ id, ok: false, kind: 'storage', message })
      this.pending.clear()
    }
    this.worker.onerror = (event) => fail(`the ingest thread failed: ${event.message}`)
    this.worker.addEventListener('close', () => fail('the ingest thread stopped'))
  }

  get alive(): boolean {
    return !this.stopped
  }

  send(request: Omit<IngestRequest, 'id'>): Promise<IngestReply> {
    const id = this.nextId++
    const bytes = request.body.byteLength
    this.queuedBytes += bytes
    return new Promise((resolve) => {
      if (this.pending.size === 0) this.worker.ref()
      this.pending.set(id, (reply) => {
        this.queuedBytes -= bytes
        resolve(reply)
      })
      // The body is moved, not copied: `readBody` always hands over a buffer of its own.
      this.worker.postMessage({ ...request, id }, [request.body])
    })
  }

  private stop(): void {
    if (this.stopped) return
    this.stopped = true
    if (ingestThread === this) ingestThread = undefined
    this.worker.terminate()
  }
}

/**
 * Bodies waiting for the ingest thread, at most: past it a request is a 503 with `Retry-After` (exporters back off
 * and retry) rather than memory that grows as long as spans arrive faster than they are stored.
 */
export const MAX_QUEUED_BYTES = 256 * 1024 * 1024

function workerWriter(path: string, settings: CollectorSettings): SpanWriter {
  const limits = { maxSpans: settings.maxSpans, maxAgeHours: settings.maxAgeHours }
  return {
    async ingest(encoding, body) {
      const thread = startIngestThread()
      if (thread.queuedBytes + body.byteLength > MAX_QUEUED_BYTES && thread.queuedBytes > 0)
        throw new QueueFull('the ingest queue is full')
      const buffer =
        body.byteOffset === 0 && body.byteLength === body.buffer.byteLength
          ? (body.buffer as ArrayBuffer)
          : (body.slice().buffer as ArrayBuffer)
      const reply = await thread.send({ path, settings: limits, encoding, body: buffer })
      if (reply.ok) return { rejected: reply.rejected, errors: reply.errors }
      if (reply.kind === 'malformed') throw new MalformedPayload(reply.message)
      if (reply.kind === 'storage') throw new StorageError(reply.message)
      throw new Error(`ingest thread: ${reply.message}`)
    },
  }
}
