import { describe, expect, test } from 'bun:test'
import { createClient } from '@libsql/client'
import {
  type Context,
  context,
  INVALID_SPAN_CONTEXT,
  ProxyTracerProvider,
  propagation,
  ROOT_CONTEXT,
  type SpanContext,
  TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api'
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base'
import { installContextManager } from '../../shared/telemetry/context.ts'
import { tracedDatabase } from '../../shared/telemetry/db.ts'
import { tracedFetch } from '../../shared/telemetry/fetch.ts'
import { extractContext } from '../../shared/telemetry/propagation.ts'
import { isUntraced, UntracedTracer } from '../../shared/telemetry/untraced-tracer.ts'

installContextManager()

const REMOTE: SpanContext = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  traceFlags: TraceFlags.SAMPLED,
  isRemote: true,
}
const WITH_BAGGAGE = propagation.setBaggage(
  ROOT_CONTEXT,
  propagation.createBaggage({ 'fault.payment': { value: 'x' } }),
)

const parents: [string, Context][] = [
  ['no span', ROOT_CONTEXT],
  ['a valid remote parent', trace.setSpanContext(ROOT_CONTEXT, REMOTE)],
  ['an invalid parent', trace.setSpanContext(ROOT_CONTEXT, INVALID_SPAN_CONTEXT)],
  // A span of the SDK's: the untraced tracer wraps its context rather than hand it out.
  ['a recording parent', trace.setSpan(ROOT_CONTEXT, new BasicTracerProvider().getTracer('sdk').startSpan('parent'))],
  ['baggage and a valid parent', trace.setSpanContext(WITH_BAGGAGE, REMOTE)],
]

/** What a span and the context its function runs in say, as anything downstream can read them. */
function seen(tracer: Tracer, parent: Context, root: boolean, explicit: boolean) {
  const options = { root }
  const started = tracer.startSpan('work', options, parent)
  const active = (span: { spanContext(): SpanContext; isRecording(): boolean }) => ({
    span: span.spanContext(),
    recording: span.isRecording(),
    active: trace.getSpanContext(context.active()) ?? INVALID_SPAN_CONTEXT,
    baggage: propagation.getBaggage(context.active())?.getAllEntries() ?? [],
  })
  const inside = explicit
    ? tracer.startActiveSpan('work', options, parent, active)
    : context.with(parent, () => tracer.startActiveSpan('work', options, active))
  return { started: started.spanContext(), recording: started.isRecording(), inside }
}

describe('the untraced tracer', () => {
  const noop = new ProxyTracerProvider().getTracer('noop')
  for (const [name, parent] of parents)
    for (const root of [false, true])
      for (const explicit of [false, true])
        test(`as the API's no-op tracer: ${name}${root ? ', root' : ''}${explicit ? ', context given' : ''}`, () => {
          const expected = seen(noop, parent, root, explicit)
          expect(seen(new UntracedTracer(), parent, root, explicit)).toEqual(expected)
        })

  test('a span under a non-recording parent is that parent: no span and no context made', () => {
    const tracer = new UntracedTracer()
    const parent = trace.setSpanContext(ROOT_CONTEXT, REMOTE)
    const span = tracer.startSpan('work', {}, parent)
    expect(span).toBe(trace.getSpan(parent)!)
    context.with(parent, () =>
      tracer.startActiveSpan('work', (inner) => {
        expect(inner).toBe(span)
        expect(context.active()).toBe(parent)
      }),
    )
  })

  test('isUntraced names it and no other tracer', () => {
    expect(isUntraced(new UntracedTracer())).toBe(true)
    expect(isUntraced(new ProxyTracerProvider().getTracer('noop'))).toBe(false)
  })
})

describe('wrappers with tracing disabled', () => {
  const tracer = new UntracedTracer()

  function recordingFetch() {
    const calls: { input: unknown; init: RequestInit | undefined }[] = []
    const base = async (input: Request | string | URL, init?: RequestInit) => {
      calls.push({ input, init })
      return new Response('ok')
    }
    return { calls, base }
  }

  test('a call with no context to carry goes out as it came, its headers not copied', async () => {
    const { calls, base } = recordingFetch()
    const init = { headers: new Headers({ a: '1' }) }
    await tracedFetch(tracer, base)('http://inventory.internal/x', init)
    expect(calls[0]!.init).toBe(init)
  })

  test('an incoming traceparent and baggage still go downstream; baggage never leaves the system', async () => {
    const incoming = extractContext(
      new Headers({ traceparent: `00-${REMOTE.traceId}-${REMOTE.spanId}-01`, baggage: 'fault.payment=timeout' }),
      ROOT_CONTEXT,
    )
    const { calls, base } = recordingFetch()
    await context.with(incoming, async () => {
      await tracedFetch(tracer, base)('http://payment.internal/x', { headers: { a: '1' } })
      await tracedFetch(tracer, base, { external: true })('https://hooks.example.com/x')
    })
    const internal = new Headers(calls[0]!.init!.headers)
    expect(internal.get('traceparent')).toBe(`00-${REMOTE.traceId}-${REMOTE.spanId}-01`)
    expect(internal.get('baggage')).toBe('fault.payment=timeout')
    expect(internal.get('a')).toBe('1')
    const external = new Headers(calls[1]!.init!.headers)
    expect(external.get('traceparent')).toBe(`00-${REMOTE.traceId}-${REMOTE.spanId}-01`)
    expect(external.get('baggage')).toBeNull()
  })

  test('the database client is left as it is', () => {
    const client = createClient({ url: ':memory:' })
    expect(tracedDatabase(tracer, client, ':memory:')).toBe(client)
    client.close()
  })
})
