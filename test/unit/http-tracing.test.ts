import { describe, expect, test } from 'bun:test'
import { serviceApp } from '../../shared/app.ts'
import { AppError } from '../../shared/errors.ts'
import { tracedFetch } from '../../shared/telemetry/fetch.ts'
import { captureTelemetry } from '../support/capture.ts'
import { SPAN_KIND, STATUS } from '../support/otlp-json.ts'

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'
const PARENT_ID = '00f067aa0ba902b7'

/** A service that echoes the trace headers it receives, and one that calls it through the traced fetch. */
function services() {
  const { telemetry, spans } = captureTelemetry('under-test')
  const echo = serviceApp({ telemetry, env: {} }, 'public').get('/echo', (c) =>
    c.json({
      traceparent: c.req.header('traceparent'),
      tracestate: c.req.header('tracestate'),
      baggage: c.req.header('baggage'),
    }),
  )
  const downstream = tracedFetch(telemetry.tracer, async (input, init) => echo.fetch(new Request(input, init)))
  const app = serviceApp({ telemetry, env: {} }, 'public')
    .get('/items/:id', async (c) => c.json(await (await downstream('http://echo.internal/echo')).json()))
    .get('/conflict', () => {
      throw new AppError(409, 'insufficient_inventory', 'none left')
    })
    .get('/boom', () => {
      throw new Error('kaput')
    })
  return { app, spans }
}

describe('incoming trace context', () => {
  test('a valid traceparent makes the server span its child; the trace id comes back in X-Trace-Id', async () => {
    const { app, spans } = services()
    const response = await app.request('/items/42', {
      headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`, tracestate: 'vendor=abc' },
    })
    expect(response.headers.get('x-trace-id')).toBe(TRACE_ID)
    const server = (await spans()).find((span) => span.name === 'GET /items/:id')!
    expect(server).toMatchObject({ traceId: TRACE_ID, parentSpanId: PARENT_ID, kind: SPAN_KIND.SERVER })
    expect(server.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.route': '/items/:id',
      'http.response.status_code': 200,
      'url.path': '/items/42',
    })
    expect((await response.json()).tracestate).toBe('vendor=abc')
  })

  test('no traceparent starts a new trace', async () => {
    const { app, spans } = services()
    const response = await app.request('/items/1')
    const server = (await spans()).find((span) => span.name === 'GET /items/:id')!
    expect(server.parentSpanId).toBeUndefined()
    expect(server.traceId).toMatch(/^[0-9a-f]{32}$/)
    expect(response.headers.get('x-trace-id')).toBe(server.traceId)
  })

  for (const traceparent of [
    'garbage',
    `00-${'0'.repeat(32)}-${PARENT_ID}-01`,
    `00-${TRACE_ID}-${'0'.repeat(16)}-01`,
    `ff-${TRACE_ID}-${PARENT_ID}-01`,
    `00-${TRACE_ID.slice(2)}-${PARENT_ID}-01`,
    `00-${TRACE_ID}-${PARENT_ID}`,
  ]) {
    test(`a malformed traceparent (${traceparent.slice(0, 24)}…) is ignored: fresh trace, request served`, async () => {
      const { app, spans } = services()
      const response = await app.request('/items/1', { headers: { traceparent } })
      expect(response.status).toBe(200)
      const server = (await spans()).find((span) => span.name === 'GET /items/:id')!
      expect(server.parentSpanId).toBeUndefined()
      expect(server.traceId).not.toBe(TRACE_ID)
      expect(server.traceId).not.toBe('0'.repeat(32))
    })
  }
})

describe('traced fetch', () => {
  test('is a CLIENT span under the server span, and its own id is the parent sent downstream, with baggage', async () => {
    const { app, spans } = services()
    const response = await app.request('/items/7', {
      headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`, baggage: 'fault.payment=decline' },
    })
    const sent = await response.json()
    const all = await spans()
    const server = all.find((span) => span.name === 'GET /items/:id')!
    const client = all.find((span) => span.kind === SPAN_KIND.CLIENT)!
    const downstream = all.find((span) => span.name === 'GET /echo')!
    expect(client).toMatchObject({ name: 'GET', traceId: TRACE_ID, parentSpanId: server.spanId })
    expect(client.attributes).toMatchObject({
      'url.full': 'http://echo.internal/echo',
      'server.address': 'echo.internal',
      'http.response.status_code': 200,
    })
    expect(sent.traceparent).toBe(`00-${TRACE_ID}-${client.spanId}-01`)
    expect(sent.baggage).toBe('fault.payment=decline')
    expect(downstream.parentSpanId).toBe(client.spanId)
  })
})

describe('traced fetch status', () => {
  test('a 4xx or 5xx answer is an ERROR client span whose error.type is the status code', async () => {
    const { telemetry, spans } = captureTelemetry('under-test')
    const fetch = tracedFetch(telemetry.tracer, async () => new Response('gone', { status: 404 }))
    expect((await fetch('http://echo.internal/missing')).status).toBe(404)
    const [client] = await spans()
    expect(client).toMatchObject({ name: 'GET', kind: SPAN_KIND.CLIENT, status: { code: STATUS.ERROR } })
    expect(client!.attributes).toMatchObject({ 'http.response.status_code': 404, 'error.type': '404' })
    expect(client!.events).toEqual([])
  })

  test('a call that throws is an ERROR client span with the exception recorded, and the error reaches the caller', async () => {
    const { telemetry, spans } = captureTelemetry('under-test')
    const fetch = tracedFetch(telemetry.tracer, async () => {
      throw new TypeError('connection refused')
    })
    await expect(fetch('http://echo.internal/down', { method: 'POST' })).rejects.toThrow('connection refused')
    const [client] = await spans()
    expect(client).toMatchObject({
      name: 'POST',
      kind: SPAN_KIND.CLIENT,
      status: { code: STATUS.ERROR, message: 'connection refused' },
    })
    expect(client!.attributes['error.type']).toBe('TypeError')
    expect(client!.attributes['http.response.status_code']).toBeUndefined()
    expect(client!.events.map((event) => event.name)).toEqual(['exception'])
  })
})

describe('traced fetch to the outside', () => {
  test("sends traceparent but not the callers' baggage", async () => {
    const { telemetry } = captureTelemetry('under-test')
    let sent: Headers | undefined
    const external = tracedFetch(
      telemetry.tracer,
      async (input, init) => {
        sent = new Request(input, init).headers
        return new Response('ok')
      },
      { external: true },
    )
    const app = serviceApp({ telemetry, env: {} }, 'public').get('/call-out', async (c) =>
      c.text(await (await external('https://hooks.example.com/x')).text()),
    )
    await app.request('/call-out', {
      headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`, baggage: 'user.secret=1,fault.payment=decline' },
    })
    expect(sent!.get('traceparent')).toStartWith(`00-${TRACE_ID}-`)
    expect(sent!.get('baggage')).toBeNull()
  })
})

describe('server span status', () => {
  test('a 4xx answer leaves the server span unset and still answers JSON', async () => {
    const { app, spans } = services()
    const response = await app.request('/conflict')
    expect(response.status).toBe(409)
    expect((await response.json()).error.code).toBe('insufficient_inventory')
    const server = (await spans()).find((span) => span.name === 'GET /conflict')!
    expect(server.status.code).toBe(STATUS.UNSET)
    expect(server.attributes['http.response.status_code']).toBe(409)
  })

  test('a thrown error is a 500 JSON answer and an ERROR span with the exception recorded', async () => {
    const { app, spans } = services()
    const response = await app.request('/boom')
    expect(response.status).toBe(500)
    const body = await response.json()
    expect(body.error.code).toBe('internal_error')
    const server = (await spans()).find((span) => span.name === 'GET /boom')!
    expect(server.status).toMatchObject({ code: STATUS.ERROR, message: 'kaput' })
    expect(server.attributes['error.type']).toBe('Error')
    expect(server.events.map((event) => event.name)).toContain('exception')
    expect(body.traceId).toBe(server.traceId)
  })

  test('an unknown route is a JSON 404 named by its method only', async () => {
    const { app, spans } = services()
    const response = await app.request('/nowhere')
    expect(response.status).toBe(404)
    expect((await response.json()).error.code).toBe('not_found')
    expect((await spans()).map((span) => span.name)).toEqual(['GET'])
  })
})
