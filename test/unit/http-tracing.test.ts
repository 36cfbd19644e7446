import { describe, expect, test } from 'bun:test'
import { type Attributes, ROOT_CONTEXT, type Tracer, trace } from '@opentelemetry/api'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { Hono } from 'hono'
import { serviceApp } from '../../shared/app.ts'
import { AppError } from '../../shared/errors.ts'
import { tracedFetch } from '../../shared/telemetry/fetch.ts'
import { redactedQuery, requestUrl } from '../../shared/telemetry/http-attributes.ts'
import { httpTracing } from '../../shared/telemetry/middleware.ts'
import { extractContext } from '../../shared/telemetry/propagation.ts'
import { captureTelemetry } from '../support/capture.ts'
import { consoleCalls } from '../support/console.ts'
import { SPAN_KIND, STATUS } from '../support/otlp-json.ts'

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'
const PARENT_ID = '00f067aa0ba902b7'

/**
 * A service that echoes the trace headers it receives, and one that calls it through the traced fetch. `startedWith`
 * holds the attributes each span was started with, in order.
 */
function services(env: Record<string, string> = {}) {
  const { telemetry: captured, spans } = captureTelemetry('under-test', env)
  const startedWith: (Attributes | undefined)[] = []
  const tracer = new Proxy(captured.tracer, {
    get: (target, key) =>
      key === 'startSpan'
        ? (...args: Parameters<Tracer['startSpan']>) => {
            startedWith.push(args[1]?.attributes)
            return target.startSpan(...args)
          }
        : Reflect.get(target, key),
  })
  const telemetry = { ...captured, tracer }
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
  return { app, spans, startedWith }
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

  test('a caller’s unsampled trace, under the default parent-based sampler: no span records, none is given attributes, and the trace goes on unsampled', async () => {
    const { app, spans, startedWith } = services()
    const traceparent = `00-${TRACE_ID}-${PARENT_ID}-00`
    const response = await app.request('/items/1', { headers: { traceparent, tracestate: 'vendor=abc' } })
    expect(response.headers.get('x-trace-id')).toBe(TRACE_ID)
    const sent = await response.json()
    // The same trace, not sampled, with the id of the call made here in place of the caller's.
    expect(sent.traceparent).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-00$`))
    expect(sent.traceparent).not.toContain(PARENT_ID)
    expect(sent.tracestate).toBe('vendor=abc')
    expect(await spans()).toEqual([])
    // The server span here, the fetch's client span and the echo's server span: none worked out its attributes.
    expect(startedWith).toEqual([undefined, undefined, undefined])
    // A sampled caller, for contrast: the same spans, each started with its attributes, recorded.
    startedWith.length = 0
    await app.request('/items/1', { headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` } })
    expect((await spans()).map((span) => span.name).sort()).toEqual(['GET', 'GET /echo', 'GET /items/:id'])
    expect(startedWith.map((attributes) => attributes?.['http.request.method'])).toEqual(['GET', 'GET', 'GET'])
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
    const { result: response, calls: lines } = await consoleCalls('error', async () => app.request('/conflict'))
    expect(response.status).toBe(409)
    expect((await response.json()).error.code).toBe('insufficient_inventory')
    // Only an error the service did not mean is logged (below).
    expect(lines).toEqual([])
    const server = (await spans()).find((span) => span.name === 'GET /conflict')!
    expect(server.status.code).toBe(STATUS.UNSET)
    expect(server.attributes['http.response.status_code']).toBe(409)
  })

  test('a thrown error is a 500 JSON answer, a log line with its stack, and an ERROR span with the exception', async () => {
    const { app, spans } = services()
    const { result: response, calls: lines } = await consoleCalls('error', async () => app.request('/boom'))
    expect(response.status).toBe(500)
    // One line to begin with (the error's name and message), then its stack.
    expect(lines).toHaveLength(1)
    expect(lines[0]).toHaveLength(1)
    expect(lines[0]![0]).toStartWith('GET /boom failed: Error: kaput\n    at ')
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

describe('server span attributes (stable HTTP conventions)', () => {
  test('url.query with its values redacted, user agent, scheme, server address and port', async () => {
    const { app, spans } = services()
    await app.request('http://shop.example:8080/items/1?token=s3cret&page=2&flag', {
      headers: { 'user-agent': 'curl/8.5.0' },
    })
    const server = (await spans()).find((span) => span.name === 'GET /items/:id')!
    expect(server.attributes).toMatchObject({
      'url.path': '/items/1',
      'url.query': 'token=REDACTED&page=REDACTED&flag',
      'url.scheme': 'http',
      'server.address': 'shop.example',
      'server.port': 8080,
      'user_agent.original': 'curl/8.5.0',
    })
    expect(JSON.stringify(server.attributes)).not.toContain('s3cret')
  })

  test('no query, no url.query', async () => {
    const { app, spans } = services()
    await app.request('/items/1')
    expect((await spans()).find((span) => span.name === 'GET /items/:id')!.attributes['url.query']).toBeUndefined()
  })

  test('client.address: Forwarded for= first, then the first X-Forwarded-For hop', async () => {
    const { app, spans } = services()
    await app.request('/items/1', { headers: { 'x-forwarded-for': '203.0.113.9, 10.0.0.2' } })
    await app.request('/items/2', {
      headers: { forwarded: 'for="[2001:db8:cafe::17]:4711";proto=https, for=10.0.0.2', 'x-forwarded-for': '1.1.1.1' },
    })
    await app.request('/items/3', { headers: { forwarded: 'for=192.0.2.60:8443;by=203.0.113.43' } })
    const addresses = (await spans())
      .filter((span) => span.name === 'GET /items/:id')
      .map((span) => span.attributes['client.address'])
    expect(addresses).toEqual(['203.0.113.9', '2001:db8:cafe::17', '192.0.2.60'])
  })

  test('on Bun the connection gives the peer (Hono hands the server as env), and HTTP/1.1', async () => {
    const { app, spans } = services()
    const bunServer = { requestIP: () => ({ address: '::ffff:10.1.2.3', family: 'IPv6', port: 51234 }) }
    await app.request('/items/1', {}, bunServer)
    const server = (await spans()).find((span) => span.name === 'GET /items/:id')!
    expect(server.attributes).toMatchObject({
      'client.address': '10.1.2.3',
      'client.port': 51234,
      'network.peer.address': '10.1.2.3',
      'network.peer.port': 51234,
      'network.protocol.version': '1.1',
    })
  })

  test("on Deno the connection gives the peer (Deno.serve's info as env); the HTTP version is not told", async () => {
    const { app, spans } = services()
    await app.request(
      '/items/1',
      { headers: { 'x-forwarded-for': '198.51.100.7' } },
      { remoteAddr: { transport: 'tcp', hostname: '127.0.0.1', port: 40000 } },
    )
    const server = (await spans()).find((span) => span.name === 'GET /items/:id')!
    expect(server.attributes).toMatchObject({
      // Behind a proxy the client is the original one; the peer is the proxy.
      'client.address': '198.51.100.7',
      'network.peer.address': '127.0.0.1',
      'network.peer.port': 40000,
    })
    expect(server.attributes['network.protocol.version']).toBeUndefined()
  })

  test('on Workers the HTTP version comes from request.cf, the client from CF-Connecting-IP', async () => {
    const { app, spans } = services()
    const request = new Request('https://shop.example/items/1', { headers: { 'cf-connecting-ip': '192.0.2.1' } })
    Object.defineProperty(request, 'cf', { value: { httpProtocol: 'HTTP/2' } })
    await app.request(request)
    const server = (await spans()).find((span) => span.name === 'GET /items/:id')!
    expect(server.attributes).toMatchObject({ 'client.address': '192.0.2.1', 'network.protocol.version': '2' })
  })

  test('an unknown method is _OTHER with the method as sent, and the span is named HTTP', async () => {
    const { app, spans } = services()
    const response = await app.request('/items/1', { method: 'PURGE' })
    expect(response.status).toBe(404)
    const [server] = await spans()
    expect(server!.name).toBe('HTTP')
    expect(server!.attributes).toMatchObject({
      'http.request.method': '_OTHER',
      'http.request.method_original': 'PURGE',
    })
  })

  test('a known method has no http.request.method_original', async () => {
    const { app, spans } = services()
    await app.request('/items/1')
    const server = (await spans()).find((span) => span.name === 'GET /items/:id')!
    expect(server.attributes['http.request.method_original']).toBeUndefined()
  })
})

describe('traced fetch attributes', () => {
  test('url.full keeps the query keys with the values redacted, and no credentials; an unknown method is _OTHER', async () => {
    const { telemetry, spans } = captureTelemetry('under-test')
    const fetch = tracedFetch(telemetry.tracer, async () => new Response('ok'))
    await fetch('https://user:pw@api.example.com/search?q=secret&limit=5', { method: 'PROPFIND' })
    const [client] = await spans()
    expect(client!.name).toBe('HTTP')
    expect(client!.attributes).toMatchObject({
      'url.full': 'https://api.example.com/search?q=REDACTED&limit=REDACTED',
      'http.request.method': '_OTHER',
      'http.request.method_original': 'PROPFIND',
      'server.port': 443,
    })
  })
})

describe('health checks', () => {
  test('GET /healthz makes no span and no X-Trace-Id by default', async () => {
    const { app, spans } = services()
    const response = await app.request('/healthz')
    expect(response.status).toBe(200)
    expect(response.headers.get('x-trace-id')).toBeNull()
    expect(await spans()).toEqual([])
  })

  test('a service that wants them traced says so with ignore', async () => {
    const { telemetry, spans } = captureTelemetry('under-test')
    const app = new Hono()
      .use(httpTracing({ tracer: telemetry.tracer, ignore: () => false }))
      .get('/healthz', (c) => c.text('ok'))
    await app.request('/healthz')
    expect((await spans()).map((span) => span.name)).toEqual(['GET /healthz'])
  })
})

describe('X-Trace-Id without tracing', () => {
  function shop(env: Record<string, string>) {
    const { telemetry, spans } = captureTelemetry('under-test', env)
    const app = serviceApp({ telemetry, env: {} }, 'public')
      .get('/ok', (c) => c.text('ok'))
      .get('/conflict', () => {
        throw new AppError(409, 'insufficient_inventory', 'none left')
      })
    return { app, spans }
  }

  test('OTEL_SDK_DISABLED and no incoming trace: no header, an empty traceId in error bodies, never zeros', async () => {
    const { app } = shop({ OTEL_SDK_DISABLED: 'true' })
    const ok = await app.request('/ok')
    expect(ok.headers.get('x-trace-id')).toBeNull()
    const conflict = await app.request('/conflict')
    expect(conflict.headers.get('x-trace-id')).toBeNull()
    const body = await conflict.json()
    expect(body.error.code).toBe('insufficient_inventory')
    // Empty, as in the answers of an app that is not traced at all.
    expect(body.traceId).toBe('')
    expect(JSON.stringify(body)).not.toContain('0'.repeat(32))
  })

  test('OTEL_SDK_DISABLED with an incoming trace: the caller’s trace id, which still goes downstream', async () => {
    const { app } = shop({ OTEL_SDK_DISABLED: 'true' })
    const headers = { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` }
    expect((await app.request('/ok', { headers })).headers.get('x-trace-id')).toBe(TRACE_ID)
    expect((await (await app.request('/conflict', { headers })).json()).traceId).toBe(TRACE_ID)
  })

  test('OTEL_SDK_DISABLED: an incoming traceparent and baggage reach downstream calls as they came', async () => {
    const { app } = services({ OTEL_SDK_DISABLED: 'true' })
    const traceparent = `00-${TRACE_ID}-${PARENT_ID}-01`
    const response = await app.request('/items/1', {
      headers: { traceparent, tracestate: 'vendor=abc', baggage: 'fault.payment=timeout' },
    })
    expect(response.headers.get('x-trace-id')).toBe(TRACE_ID)
    expect(await response.json()).toEqual({ traceparent, tracestate: 'vendor=abc', baggage: 'fault.payment=timeout' })
  })

  test('OTEL_SDK_DISABLED and nothing incoming: downstream calls carry no trace headers', async () => {
    const { app } = services({ OTEL_SDK_DISABLED: 'true' })
    const response = await app.request('/items/1')
    expect(response.headers.get('x-trace-id')).toBeNull()
    expect(await response.json()).toEqual({})
  })

  test('sampling off: the unsampled trace id the SDK gave the request (sent downstream too), never zeros', async () => {
    const { app, spans } = shop({ OTEL_TRACES_SAMPLER: 'always_off' })
    const response = await app.request('/conflict')
    const traceId = response.headers.get('x-trace-id')
    expect(traceId).toMatch(/^[0-9a-f]{32}$/)
    expect(traceId).not.toBe('0'.repeat(32))
    expect((await response.json()).traceId).toBe(traceId)
    expect(await spans()).toEqual([])
  })
})

describe('shortcuts that must read what the SDK and URL read', () => {
  test('requestUrl has the parts new URL has, and redactedQuery redacts them alike', () => {
    const urls = [
      'http://a/',
      'https://a:8443/x/y?z',
      'http://u:p@h:81/x?a=1&b#f',
      'http://[::1]/p?',
      'http://[::1]:9/p?#',
      'http://h/a#b?c',
      'http://h/?&',
      'http://h/?a&&b=2&=x&c==d',
      'http://Ünï.com/é?ü=1',
      'HTTP://EXAMPLE.com:80/a/../b',
    ]
    for (const url of urls) {
      const serialized = new Request(url).url
      const parsed = new URL(serialized)
      const parts = requestUrl(serialized)
      for (const key of ['protocol', 'hostname', 'port', 'pathname', 'search'] as const)
        expect(parts[key]).toBe(parsed[key])
      expect(redactedQuery(parts)).toBe(redactedQuery(parsed))
    }
    expect(redactedQuery(new URL('http://h/?a=1&b&&c=x=y&'))).toBe('a=REDACTED&b&&c=REDACTED&')
  })

  test('a traceparent is extracted as the SDK extracts it, in the usual form and any other', () => {
    const usual = `00-${TRACE_ID}-${PARENT_ID}-01`
    const others = [
      usual.toUpperCase(),
      ` ${usual}`,
      `${usual}-x`,
      `01${usual.slice(2)}-x`,
      `ff${usual.slice(2)}`,
      `00-${'0'.repeat(32)}-${PARENT_ID}-01`,
      `00-${TRACE_ID}-${'0'.repeat(16)}-01`,
      usual.replace(/-01$/, '-0g'),
      usual.slice(0, 54),
    ]
    const sdk = new W3CTraceContextPropagator()
    const getter = { keys: (h: Headers) => [...h.keys()], get: (h: Headers, key: string) => h.get(key) ?? undefined }
    for (const traceparent of [usual, usual.replace(/-01$/, '-00'), ...others]) {
      for (const headers of [new Headers({ traceparent }), new Headers({ traceparent, tracestate: 'a=1,b=2' })]) {
        const ours = trace.getSpanContext(extractContext(headers, ROOT_CONTEXT))
        const theirs = trace.getSpanContext(sdk.extract(ROOT_CONTEXT, headers, getter))
        expect({ ...ours, traceState: ours?.traceState?.serialize() }).toEqual({
          ...theirs,
          traceState: theirs?.traceState?.serialize(),
        })
      }
    }
  })
})
