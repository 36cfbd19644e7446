import {
  type Context,
  context,
  isSpanContextValid,
  type Span,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api'
import { CancelledError } from '../../shared/concurrency.ts'
import { AppError, toAppError } from '../../shared/errors.ts'
import { inSpan, markError } from '../../shared/telemetry/span.ts'
import { invalidRequest, parseJson } from '../../shared/validation.ts'
import { type BatchOutcome, MAX_BATCH_ORDERS, type Order, type PlaceOrder, placeOrderSchema } from './contract.ts'
import type { Begun, Orders } from './domain.ts'
import type { Progress } from './saga.ts'

/** One order on its way through the stages, with its own span and trace context. */
interface Entry {
  index: number
  line: string
  span: Span
  context: Context
  request?: PlaceOrder
  /** Once recorded: the order and how far it got; a repeated request's answer has no progress. */
  begun?: Begun
  progress?: Progress
  outcome?: BatchOutcome
}

/** Stages hold one order each and pass it on only when the next stage takes it: a slow stage slows the source. */
const ONE_AT_A_TIME = { highWaterMark: 1 }

/**
 * The batch import: a pipeline of Web Streams, lines of NDJSON → validate → process → notify, each stage working on
 * one order while the others work on the orders before and after it. Every order is a trace of its own
 * (`order_service.import_order`, linked both ways with the batch's span) and each stage's span is a child of its
 * order's span, because the order carries its context through the stages.
 *
 * Cancellation (`signal`: the client went away or the deadline passed) stops reading and ends every order not yet
 * recorded as cancelled; an order already recorded is taken to its end (paid or compensated), as any saga is.
 */
export class BatchImport {
  constructor(private readonly deps: { orders: Orders; tracer: Tracer }) {}

  run(body: ReadableStream<Uint8Array>, signal: AbortSignal): Promise<BatchOutcome[]> {
    const { tracer, orders } = this.deps
    return inSpan(tracer, 'order_service.import_batch', {}, async (batchSpan) => {
      // Stream callbacks may run outside this call's async context; each order's context is built from this one.
      const batchContext = context.active()
      const open = new Set<Entry>()
      const running = new Set<Promise<unknown>>()
      const outcomes: BatchOutcome[] = []
      const finish = (entry: Entry, outcome: Omit<BatchOutcome, 'index' | 'traceId'>) => {
        if (!open.delete(entry)) return
        entry.outcome = {
          index: entry.index,
          ...outcome,
          // With tracing off there is no trace to name: no all-zero id.
          traceId: isSpanContextValid(entry.span.spanContext()) ? entry.span.spanContext().traceId : '',
        }
        if (outcome.orderId) entry.span.setAttribute('order.id', outcome.orderId)
        entry.span.setAttribute('order.status', outcome.status)
        if (outcome.error) {
          entry.span.setAttribute('error.type', outcome.error.code)
          entry.span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error.message })
        }
        entry.span.end()
      }
      const fail = (entry: Entry, error: unknown) => {
        const orderId = entry.begun?.order.id ?? (toAppError(error).details?.orderId as string | undefined)
        const inProgress = toAppError(error).code === 'request_in_progress'
        finish(
          entry,
          inProgress ? { status: 'in_progress', orderId } : { status: 'failed', orderId, error: describe(error) },
        )
      }
      const paid = (entry: Entry, order: Order) => finish(entry, { status: 'paid', orderId: order.id })
      /** Settles a recorded order (paid, or the error that cancelled it); a repeated request is answered as it was. */
      const settle = async (entry: Entry) => {
        const begun = entry.begun!
        paid(entry, begun.kind === 'answered' ? begun.order : await orders.settle(entry.progress!, entry.span))
      }

      /** A stage: runs `work` in a span that is a child of the order's span; an order already done passes through. */
      const stage = (name: string, work: (entry: Entry, span: Span) => Promise<void>, cancellable = true) =>
        new TransformStream<Entry, Entry>(
          {
            async transform(entry, controller) {
              if (open.has(entry) && cancellable && signal.aborted) fail(entry, cancelled(signal))
              if (open.has(entry)) {
                const working = context
                  .with(entry.context, () => inSpan(tracer, name, {}, (span) => work(entry, span)))
                  .catch((error) => fail(entry, error))
                running.add(working)
                await working
                running.delete(working)
              }
              controller.enqueue(entry)
            },
          },
          ONE_AT_A_TIME,
          ONE_AT_A_TIME,
        )

      const validate = stage('validate_order', async (entry) => {
        entry.request = parseOrder(entry.line)
        entry.span.setAttributes({ 'user.id': entry.request.userId, 'items.count': entry.request.items.length })
      })
      const process = stage('process_order', async (entry, span) => {
        entry.begun = await orders.begin(entry.request!, entry.span, signal)
        if (entry.begun.kind === 'answered') return
        entry.progress = await orders.advance(entry.begun.order)
        if (entry.progress.failure !== undefined) markError(span, entry.progress.failure)
      })
      // Not cancellable: an order that got this far is recorded, and settling it is what ends its saga.
      const notify = stage('notify_order', settle, false)

      const admit = (line: string, index: number): Entry => {
        const span = tracer.startSpan(
          'order_service.import_order',
          { root: true, links: [{ context: batchSpan.spanContext() }], attributes: { 'batch.index': index } },
          batchContext,
        )
        batchSpan.addLink({ context: span.spanContext() })
        const entry = { index, line, span, context: trace.setSpan(batchContext, span) }
        open.add(entry)
        if (index >= MAX_BATCH_ORDERS)
          fail(entry, new AppError(400, 'invalid_request', `over the batch limit of ${MAX_BATCH_ORDERS} orders`))
        return entry
      }

      try {
        await orderLines(body, signal, admit)
          .pipeThrough(validate)
          .pipeThrough(process)
          .pipeThrough(notify)
          .pipeTo(new WritableStream({ write: (entry) => void outcomes.push(entry.outcome!) }, ONE_AT_A_TIME))
      } finally {
        // When the body failed (the client went away mid-upload) the stages stopped: once the work under way is
        // done, every order still open ends, a recorded one settled, so none is left half-done.
        await Promise.allSettled(running)
        for (const entry of open) {
          if (!entry.begun) fail(entry, cancelled(signal))
          else await context.with(entry.context, () => settle(entry)).catch((error) => fail(entry, error))
        }
        batchSpan.setAttributes({
          'batch.size': outcomes.length,
          'batch.paid': outcomes.filter((outcome) => outcome.status === 'paid').length,
        })
      }
      return outcomes
    })
  }
}

/**
 * The non-blank lines of an NDJSON body as entries, one per pull: nothing is read ahead of what the pipeline asks for.
 * Stops at the end of the body, or when `signal` aborts.
 */
function orderLines(
  body: ReadableStream<Uint8Array>,
  signal: AbortSignal,
  admit: (line: string, index: number) => Entry,
): ReadableStream<Entry> {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  let buffered = ''
  let done = false
  let index = 0
  return new ReadableStream<Entry>(
    {
      async pull(controller) {
        for (;;) {
          if (signal.aborted) {
            await reader.cancel(signal.reason)
            return controller.close()
          }
          const newline = buffered.indexOf('\n')
          const line = newline >= 0 ? buffered.slice(0, newline) : done ? buffered : undefined
          if (line !== undefined) {
            buffered = newline >= 0 ? buffered.slice(newline + 1) : ''
            if (line.trim()) return controller.enqueue(admit(line, index++))
            if (done && !buffered) return controller.close()
            continue
          }
          const chunk = await reader.read()
          if (chunk.done) done = true
          else buffered += decoder.decode(chunk.value, { stream: true })
        }
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  )
}

function parseOrder(line: string): PlaceOrder {
  const parsed = placeOrderSchema.safeParse(parseJson(line, 'the line'))
  if (!parsed.success) throw invalidRequest(parsed.error)
  return parsed.data
}

function cancelled(signal: AbortSignal): CancelledError {
  const reason = signal.reason as Error | undefined
  return new CancelledError(
    reason?.name === 'TimeoutError' ? "the batch request's deadline passed" : 'the batch request was aborted',
  )
}

function describe(error: unknown): { code: string; message: string } {
  if (error instanceof CancelledError) return { code: error.code, message: error.message }
  const appError = toAppError(error)
  return { code: appError.code, message: appError.message }
}
