// `bun run scenario payment-timeout`: the payment-timeout troubleshooting case the README walks through, against the
// running system. It places an order whose payment provider never answers, prints its trace as a tree and names the
// span where it started, then places one whose first attempt times out and shows the retry that absorbed it.
import { buildTree, deepestFailures } from '../collector/analysis/tree.ts'
import { createCollectorClient } from '../collector/client.ts'
import type { JaegerTrace } from '../collector/jaeger.ts'
import { renderTrace } from '../collector/report/show.ts'
import { serviceUrl } from '../shared/config.ts'
import { type CommandSpec, chosenCommand, parseCommandLine, readCommandLine } from './cli.ts'

const SCENARIO_COMMAND = {
  name: 'scenario',
  synopsis: '<scenario> [options]',
  summary: "Runs a troubleshooting case of the README against the running system and prints each order's trace.",
  commands: {
    'payment-timeout':
      'an order whose payment provider never answers (its trace, the root cause), then one a retry rescues',
  },
  maxPositionals: 1,
  options: {
    gateway: {
      type: 'string',
      value: 'URL',
      defaultText: 'GATEWAY_URL, else http://127.0.0.1:$GATEWAY_PORT (8080)',
      description: 'the gateway',
    },
    collector: {
      type: 'string',
      value: 'URL',
      defaultText: 'COLLECTOR_URL, else http://127.0.0.1:$COLLECTOR_PORT (4318)',
      description: 'the collector the services export to',
    },
  },
  examples: ['bun run scenario payment-timeout'],
  notes: ['Needs the system running (bun run dev) with FAULTS=on, its default.'],
} as const satisfies CommandSpec

const { values } = readCommandLine(SCENARIO_COMMAND, (argv) => {
  const line = parseCommandLine(SCENARIO_COMMAND, argv)
  chosenCommand(SCENARIO_COMMAND, line.positionals) // one scenario so far: naming it is all there is to check
  return line
})

const gateway = values.gateway ?? serviceUrl(process.env, 'gateway')
const traces = createCollectorClient({ baseUrl: values.collector ?? serviceUrl(process.env, 'collector'), fetch })
const order = { userId: 'scenario', items: [{ id: 'sku-usb-hub', quantity: 1 }] }

console.log('1. An order whose payment provider never answers (baggage: fault.payment=timeout)\n')
const failed = await placeOrder('fault.payment=timeout')
const failedTrace = buildTree(failed.trace)
console.log(renderTrace(failed.trace))
const [cause] = deepestFailures(failedTrace)
if (cause) {
  const retries = cause.span.logs.filter((log) => log.fields.some((field) => field.value === 'retry_attempt')).length
  console.log(
    `\nRoot cause: [${cause.service}] ${cause.span.operationName}: ${cause.statusMessage} (${cause.errorType}), after ${retries} retries.`,
  )
  console.log(
    'Every span above it failed because it did; the order was cancelled and its stock released (compensate_order).',
  )
}

console.log('\n2. An order whose first payment attempt times out (baggage: fault.payment=timeout:1)\n')
const absorbed = await placeOrder('fault.payment=timeout:1')
console.log(renderTrace(absorbed.trace))
const payment = absorbed.trace.spans.find((span) => span.operationName === 'payment.create')
console.log('\nThe payment succeeded on a retry; its events:')
for (const log of payment?.logs ?? [])
  console.log(`  ${log.fields.map((field) => `${field.key}=${field.value}`).join(' ')}`)

/** Places the order with the fault, then waits for its whole trace to reach the collector. */
async function placeOrder(fault: string): Promise<{ trace: JaegerTrace }> {
  const started = performance.now()
  const response = await fetch(`${gateway}/api/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', baggage: fault },
    body: JSON.stringify(order),
  }).catch(() => fail(`the gateway at ${gateway} does not answer: start the system with bun run dev`))
  const body = (await response.json()) as { status?: string; error?: { code: string } }
  const traceId = response.headers.get('x-trace-id') ?? fail('the answer has no X-Trace-Id')
  const seconds = ((performance.now() - started) / 1000).toFixed(2)
  console.log(
    `POST /api/orders → ${response.status} ${body.error?.code ?? body.status} in ${seconds} s, trace ${traceId}\n`,
  )
  return { trace: await settledTrace(traceId) }
}

/** The trace once it has its payment span and stops growing (each service exports on its own schedule). */
async function settledTrace(traceId: string): Promise<JaegerTrace> {
  let previous = -1
  for (let attempt = 0; attempt < 60; attempt++) {
    const trace = await traces.trace(traceId).catch(() => undefined)
    const spans = trace?.spans.length ?? 0
    if (trace && spans === previous && trace.spans.some((span) => span.operationName === 'payment.create')) return trace
    previous = spans
    await Bun.sleep(500)
  }
  return fail(
    `trace ${traceId} did not reach the collector: is it running, and OTEL_EXPORTER_OTLP_ENDPOINT pointing at it?`,
  )
}

function fail(message: string): never {
  console.error(message)
  process.exit(1)
}
