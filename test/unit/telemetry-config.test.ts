import { afterEach, describe, expect, spyOn, test } from 'bun:test'
import { isSpanContextValid, ROOT_CONTEXT, trace } from '@opentelemetry/api'
import { type Env, readTelemetryConfig } from '../../shared/telemetry/config.ts'
import { injectContext } from '../../shared/telemetry/propagation.ts'
import { createTelemetry } from '../../shared/telemetry/provider.ts'
import { captureTelemetry } from '../support/capture.ts'

/** The config `env` makes, and the warnings it printed on the way. */
function read(env: Env) {
  const warnings: string[] = []
  const config = readTelemetryConfig(env, 'order', { warn: (message) => warnings.push(message) })
  return { config, warnings }
}

/** The config of `env`, checking that it printed no warning. */
function clean(env: Env) {
  const { config, warnings } = read(env)
  expect(warnings).toEqual([])
  return config
}

/** The one warning `env` printed: prefixed with the service, on one line, naming the variable. */
function warnsOnce(env: Env, variable: string) {
  const { config, warnings } = read(env)
  expect(warnings).toHaveLength(1)
  expect(warnings[0]).toStartWith('[telemetry] order: ')
  expect(warnings[0]).toContain(variable)
  expect(warnings[0]).not.toContain('\n')
  return { config, warning: warnings[0]! }
}

describe('defaults', () => {
  test('no variables: the spec defaults (but a queue of 8192, not 2048: a burst of orders), without a warning', () => {
    expect(clean({})).toEqual({
      disabled: false,
      serviceName: 'order',
      resourceAttributes: {},
      exporters: ['otlp'],
      otlp: {
        endpoint: 'http://localhost:4318/v1/traces',
        protocol: 'http/protobuf',
        headers: {},
        timeoutMillis: 10_000,
        compression: 'none',
      },
      sampler: 'parentbased_always_on',
      samplerRatio: 1,
      batch: { scheduledDelayMillis: 1000, exportTimeoutMillis: 30_000, maxQueueSize: 8192, maxExportBatchSize: 512 },
      spanLimits: {
        attributeValueLengthLimit: Number.POSITIVE_INFINITY,
        attributeCountLimit: 128,
        eventCountLimit: 128,
        linkCountLimit: 128,
        attributePerEventCountLimit: 128,
        attributePerLinkCountLimit: 128,
      },
    })
  })

  test('an empty value is unset, as the spec says', () => {
    expect(
      clean({ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: '', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).otlp.protocol,
    ).toBe('http/json')
    expect(clean({ OTEL_EXPORTER_OTLP_TIMEOUT: ' ' }).otlp.timeoutMillis).toBe(10_000)
  })
})

describe('OTEL_SDK_DISABLED', () => {
  test('true in any case disables, false does not', () => {
    expect(clean({ OTEL_SDK_DISABLED: 'TRUE' }).disabled).toBe(true)
    expect(clean({ OTEL_SDK_DISABLED: 'false' }).disabled).toBe(false)
  })

  test('anything else is false, with a warning', () => {
    expect(warnsOnce({ OTEL_SDK_DISABLED: 'yes' }, 'OTEL_SDK_DISABLED').config.disabled).toBe(false)
  })
})

describe('service and resource', () => {
  test('OTEL_SERVICE_NAME wins over service.name in OTEL_RESOURCE_ATTRIBUTES, which wins over the default', () => {
    expect(clean({ OTEL_RESOURCE_ATTRIBUTES: 'service.name=shop-order' }).serviceName).toBe('shop-order')
    expect(clean({ OTEL_SERVICE_NAME: 'orders', OTEL_RESOURCE_ATTRIBUTES: 'service.name=x' }).serviceName).toBe(
      'orders',
    )
  })

  test('OTEL_RESOURCE_ATTRIBUTES values are percent-decoded; a malformed entry is left out with a warning', () => {
    const { config } = warnsOnce(
      { OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=prod,team=a%20b,oops,=x' },
      'OTEL_RESOURCE_ATTRIBUTES',
    )
    expect(config.resourceAttributes).toEqual({ 'deployment.environment.name': 'prod', team: 'a b' })
  })
})

describe('OTEL_TRACES_EXPORTER', () => {
  test('otlp, console, none, or a list', () => {
    expect(clean({ OTEL_TRACES_EXPORTER: 'otlp' }).exporters).toEqual(['otlp'])
    expect(clean({ OTEL_TRACES_EXPORTER: 'console' }).exporters).toEqual(['console'])
    expect(clean({ OTEL_TRACES_EXPORTER: 'none' }).exporters).toEqual([])
    expect(clean({ OTEL_TRACES_EXPORTER: 'Console, otlp' }).exporters).toEqual(['console', 'otlp'])
  })

  test('an unknown exporter is a warning; with nothing valid left, otlp', () => {
    expect(warnsOnce({ OTEL_TRACES_EXPORTER: 'zipkin' }, 'OTEL_TRACES_EXPORTER').config.exporters).toEqual(['otlp'])
    expect(warnsOnce({ OTEL_TRACES_EXPORTER: 'jaeger,console' }, 'OTEL_TRACES_EXPORTER').config.exporters).toEqual([
      'console',
    ])
    expect(warnsOnce({ OTEL_TRACES_EXPORTER: 'none,console' }, 'OTEL_TRACES_EXPORTER').config.exporters).toEqual([
      'console',
    ])
  })
})

describe('OTLP exporter variables: the per-signal variant wins', () => {
  test('ENDPOINT: the general one gets /v1/traces appended, the per-signal one is used as is', () => {
    expect(clean({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otel.example.com/' }).otlp.endpoint).toBe(
      'https://otel.example.com/v1/traces',
    )
    expect(clean({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://gateway:4318/otlp' }).otlp.endpoint).toBe(
      'http://gateway:4318/otlp/v1/traces',
    )
    expect(
      clean({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otel.example.com',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example.com/custom',
      }).otlp.endpoint,
    ).toBe('https://traces.example.com/custom')
  })

  test('ENDPOINT: a value that is no http(s) URL is a warning, and the next in line is used', () => {
    const bad = warnsOnce(
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'collector:4318' },
      'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
    )
    expect(bad.config.otlp.endpoint).toBe('http://collector:4318/v1/traces')
    const general = warnsOnce({ OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://collector:4317' }, 'OTEL_EXPORTER_OTLP_ENDPOINT')
    expect(general.config.otlp.endpoint).toBe('http://localhost:4318/v1/traces')
  })

  test('PROTOCOL: http/protobuf or http/json, the per-signal one first', () => {
    expect(clean({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).otlp.protocol).toBe('http/json')
    expect(
      clean({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json' }).otlp.protocol,
    ).toBe('http/json')
  })

  test('PROTOCOL=grpc is one warning and http/protobuf, never a failed start', () => {
    for (const variable of ['OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL']) {
      const { config, warning } = warnsOnce({ [variable]: 'grpc' }, `${variable}=grpc`)
      expect(config.otlp.protocol).toBe('http/protobuf')
      expect(warning).toContain('using http/protobuf')
    }
    expect(warnsOnce({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http' }, 'OTEL_EXPORTER_OTLP_PROTOCOL').config.otlp.protocol).toBe(
      'http/protobuf',
    )
  })

  test('HEADERS: both merged, the per-signal one winning per key, values percent-decoded', () => {
    expect(
      clean({
        OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=general,x-team=shop',
        OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-api-key=traces,authorization=Bearer%20abc%3Bdef',
      }).otlp.headers,
    ).toEqual({ 'x-api-key': 'traces', 'x-team': 'shop', authorization: 'Bearer abc;def' })
  })

  test('HEADERS: an entry that is no valid header is left out with a warning that does not show its value', () => {
    const { config, warning } = warnsOnce(
      { OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=secret-1,bad key=secret-2' },
      'OTEL_EXPORTER_OTLP_HEADERS',
    )
    expect(config.otlp.headers).toEqual({ 'x-api-key': 'secret-1' })
    expect(warning).toContain('entry 2')
    expect(warning).not.toContain('secret')
  })

  test('TIMEOUT: milliseconds, the per-signal one first; zero or garbage is a warning and 10 s', () => {
    expect(
      clean({ OTEL_EXPORTER_OTLP_TIMEOUT: '5000', OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '2500' }).otlp.timeoutMillis,
    ).toBe(2500)
    expect(clean({ OTEL_EXPORTER_OTLP_TIMEOUT: '5000' }).otlp.timeoutMillis).toBe(5000)
    for (const value of ['0', '-1', '1.5', '10s']) {
      expect(
        warnsOnce({ OTEL_EXPORTER_OTLP_TIMEOUT: value }, 'OTEL_EXPORTER_OTLP_TIMEOUT').config.otlp.timeoutMillis,
      ).toBe(10_000)
    }
  })

  test('COMPRESSION: gzip or none, the per-signal one first; anything else is a warning and none', () => {
    expect(clean({ OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip' }).otlp.compression).toBe('gzip')
    expect(clean({ OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'GZIP' }).otlp.compression).toBe('gzip')
    expect(
      clean({ OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip', OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'none' }).otlp.compression,
    ).toBe('none')
    expect(
      warnsOnce({ OTEL_EXPORTER_OTLP_COMPRESSION: 'br' }, 'OTEL_EXPORTER_OTLP_COMPRESSION').config.otlp.compression,
    ).toBe('none')
  })

  test('TLS files cannot be given to fetch: said once each, not ignored silently', () => {
    const { warnings } = read({
      OTEL_EXPORTER_OTLP_CERTIFICATE: '/etc/ca.pem',
      OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY: '/etc/key.pem',
    })
    expect(warnings).toHaveLength(2)
    expect(warnings.join('\n')).toContain('OTEL_EXPORTER_OTLP_CERTIFICATE')
    expect(warnings.join('\n')).toContain('OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY')
  })
})

describe('sampling', () => {
  test('OTEL_TRACES_SAMPLER and its ratio', () => {
    expect(clean({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' })).toMatchObject({
      sampler: 'parentbased_traceidratio',
      samplerRatio: 0.25,
    })
    expect(clean({ OTEL_TRACES_SAMPLER: 'always_off' }).sampler).toBe('always_off')
  })

  test('an unknown sampler or a ratio outside [0, 1] is a warning and the default', () => {
    expect(warnsOnce({ OTEL_TRACES_SAMPLER: 'sometimes' }, 'OTEL_TRACES_SAMPLER').config.sampler).toBe(
      'parentbased_always_on',
    )
    expect(
      warnsOnce({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '2' }, 'OTEL_TRACES_SAMPLER_ARG').config
        .samplerRatio,
    ).toBe(1)
  })

  test('the argument of a sampler that takes none is ignored, as the spec says', () => {
    expect(clean({ OTEL_TRACES_SAMPLER: 'always_on', OTEL_TRACES_SAMPLER_ARG: 'whatever' }).samplerRatio).toBe(1)
  })
})

describe('batching', () => {
  test('OTEL_BSP_* read as milliseconds and sizes', () => {
    expect(
      clean({
        OTEL_BSP_SCHEDULE_DELAY: '200',
        OTEL_BSP_EXPORT_TIMEOUT: '5000',
        OTEL_BSP_MAX_QUEUE_SIZE: '100',
        OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '10',
      }).batch,
    ).toEqual({ scheduledDelayMillis: 200, exportTimeoutMillis: 5000, maxQueueSize: 100, maxExportBatchSize: 10 })
  })

  test('a schedule delay of 0 exports as soon as it can (it never means "only on flush")', () => {
    expect(clean({ OTEL_BSP_SCHEDULE_DELAY: '0' }).batch.scheduledDelayMillis).toBe(1)
  })

  test('a batch larger than the queue is a warning and the queue size', () => {
    const { config } = warnsOnce(
      { OTEL_BSP_MAX_QUEUE_SIZE: '100', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '500' },
      'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
    )
    expect(config.batch.maxExportBatchSize).toBe(100)
  })
})

describe('span limits', () => {
  test('the span-specific limits win over the general attribute limits', () => {
    expect(
      clean({
        OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '100',
        OTEL_ATTRIBUTE_COUNT_LIMIT: '50',
        OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '20',
        OTEL_SPAN_EVENT_COUNT_LIMIT: '5',
        OTEL_SPAN_LINK_COUNT_LIMIT: '6',
        OTEL_LINK_ATTRIBUTE_COUNT_LIMIT: '7',
      }).spanLimits,
    ).toEqual({
      attributeValueLengthLimit: 100,
      attributeCountLimit: 20,
      eventCountLimit: 5,
      linkCountLimit: 6,
      attributePerEventCountLimit: 50,
      attributePerLinkCountLimit: 7,
    })
    expect(
      clean({ OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '100', OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT: '10' }).spanLimits
        .attributeValueLengthLimit,
    ).toBe(10)
  })

  test('a limit that is no non-negative integer is a warning and the next in line', () => {
    const { config } = warnsOnce(
      { OTEL_ATTRIBUTE_COUNT_LIMIT: '64', OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: 'lots' },
      'OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT',
    )
    expect(config.spanLimits.attributeCountLimit).toBe(64)
    expect(
      warnsOnce({ OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '-1' }, 'no limit').config.spanLimits.attributeValueLengthLimit,
    ).toBe(Number.POSITIVE_INFINITY)
  })
})

describe('never a throw', () => {
  const nonsense: Env = Object.fromEntries(
    [
      'OTEL_SDK_DISABLED',
      'OTEL_RESOURCE_ATTRIBUTES',
      'OTEL_TRACES_EXPORTER',
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
      'OTEL_EXPORTER_OTLP_PROTOCOL',
      'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
      'OTEL_EXPORTER_OTLP_HEADERS',
      'OTEL_EXPORTER_OTLP_TRACES_HEADERS',
      'OTEL_EXPORTER_OTLP_TIMEOUT',
      'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT',
      'OTEL_EXPORTER_OTLP_COMPRESSION',
      'OTEL_EXPORTER_OTLP_TRACES_COMPRESSION',
      'OTEL_TRACES_SAMPLER',
      'OTEL_BSP_SCHEDULE_DELAY',
      'OTEL_BSP_EXPORT_TIMEOUT',
      'OTEL_BSP_MAX_QUEUE_SIZE',
      'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
      'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT',
      'OTEL_ATTRIBUTE_COUNT_LIMIT',
      'OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT',
      'OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT',
      'OTEL_SPAN_EVENT_COUNT_LIMIT',
      'OTEL_SPAN_LINK_COUNT_LIMIT',
      'OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT',
      'OTEL_LINK_ATTRIBUTE_COUNT_LIMIT',
      'OTEL_PROPAGATORS',
    ].map((name) => [name, '%E0%A4%A nonsense = ,, \u0000'] as const),
  )

  test('every variable set to nonsense: one warning line each, defaults, and a telemetry that works', async () => {
    const warnings: string[] = []
    const telemetry = createTelemetry({
      env: nonsense,
      serviceName: 'order',
      warn: (line) => warnings.push(line),
      exporter: { fetch: async () => new Response() },
    })
    // One line per variable, but for the general ones a per-signal variable shadows (they are never read).
    const shadowed = ['OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_EXPORTER_OTLP_TIMEOUT', 'OTEL_EXPORTER_OTLP_COMPRESSION']
    const named = warnings.map((line) => /^\[telemetry\] order: (OTEL_\w+)/.exec(line)?.[1])
    const expected = Object.keys(nonsense).filter((name) => !shadowed.includes(name))
    expect([...named].sort()).toEqual(expected.sort())
    for (const line of warnings) expect(line).not.toContain('\n')
    const span = telemetry.tracer.startSpan('still works')
    expect(isSpanContextValid(span.spanContext())).toBe(true)
    span.end()
    await telemetry.shutdown()
  })
})

describe('createTelemetry', () => {
  afterEach(() => {
    for (const spy of spies.splice(0)) spy.mockRestore()
  })
  const spies: { mockRestore(): void }[] = []

  test('span limits apply to the spans: values cut to length, attributes beyond the count dropped', async () => {
    const { telemetry, spans } = captureTelemetry('limits', {
      OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '5',
      OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '2',
    })
    const span = telemetry.tracer.startSpan('limited', { attributes: { a: 'abcdefgh', b: 1 } })
    span.setAttribute('c', 'dropped')
    span.end()
    const [exported] = await spans()
    expect(exported!.attributes).toEqual({ a: 'abcde', b: 1 })
  })

  test('OTEL_TRACES_EXPORTER=console prints each span as one line of JSON and sends nothing', async () => {
    const lines: string[] = []
    spies.push(spyOn(console, 'log').mockImplementation((line: string) => lines.push(line)))
    const sent: unknown[] = []
    const telemetry = createTelemetry({
      env: { OTEL_TRACES_EXPORTER: 'console' },
      serviceName: 'order',
      batch: { scheduledDelayMillis: 0 },
      exporter: {
        fetch: async (input) => {
          sent.push(input)
          return new Response()
        },
      },
    })
    telemetry.tracer.startSpan('printed', { attributes: { 'order.id': 'o-1' } }).end()
    await telemetry.flush()
    expect(sent).toEqual([])
    expect(lines).toHaveLength(1)
    expect(JSON.parse(lines[0]!)).toMatchObject({
      name: 'printed',
      kind: 'INTERNAL',
      service: 'order',
      status: { code: 'UNSET' },
      attributes: { 'order.id': 'o-1' },
    })
    expect(telemetry.stats()).toMatchObject({ exported: 1 })
  })

  test('OTEL_TRACES_EXPORTER=none sends nothing, yet spans have real ids and their context still propagates', async () => {
    const sent: unknown[] = []
    const telemetry = createTelemetry({
      env: { OTEL_TRACES_EXPORTER: 'none' },
      serviceName: 'order',
      batch: { scheduledDelayMillis: 0 },
      exporter: {
        fetch: async (input) => {
          sent.push(input)
          return new Response()
        },
      },
    })
    const span = telemetry.tracer.startSpan('kept to itself')
    const headers = new Headers()
    injectContext(headers, trace.setSpan(ROOT_CONTEXT, span))
    span.end()
    await telemetry.flush()
    expect(sent).toEqual([])
    expect(headers.get('traceparent')).toBe(`00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`)
    expect(telemetry.stats()).toEqual({ queued: 0, exported: 0, failed: 0, dropped: 0 })
  })
})
