// `bun run traces <command>`: slow traces, a trace's tree, its critical path and recent errors, from the collector's
// query API; `--json` gives each as data rather than text. `bun run traces --help` lists the options.
import { criticalPath } from '../collector/analysis/critical-path.ts'
import { buildTree, deepestFailures, longestRoot, type TraceNode } from '../collector/analysis/tree.ts'
import { createCollectorClient } from '../collector/client.ts'
import { formatTimestamp, parseGoDuration } from '../collector/duration.ts'
import type { JaegerLog, JaegerTrace } from '../collector/jaeger.ts'
import { renderCriticalPath } from '../collector/report/critical-path.ts'
import { renderErrors } from '../collector/report/errors.ts'
import { renderTrace } from '../collector/report/show.ts'
import { renderSlow } from '../collector/report/slow.ts'
import { serviceUrl } from '../shared/config.ts'
import {
  type CommandSpec,
  chosenCommand,
  parseCommandLine,
  readCommandLine,
  runCommand,
  UsageError,
  type Values,
} from './cli.ts'

const TRACES_COMMAND = {
  name: 'traces',
  synopsis: '<command> [options]',
  summary: "Reads traces from the collector's query API.",
  commands: {
    slow: 'slow traces, their slowest span and the spans over 10%',
    'show <traceId>': 'the trace tree, with errors, error.type and events',
    'critical-path <traceId>': "the spans that set the trace's duration, with self time",
    errors: 'recent failing traces grouped by deepest failing span and message',
  },
  maxPositionals: 2,
  options: {
    url: {
      type: 'string',
      value: 'URL',
      defaultText: 'COLLECTOR_URL, else http://127.0.0.1:$COLLECTOR_PORT (4318)',
      description: 'the collector',
    },
    min: { type: 'string', value: 'TIME', default: '1s', description: 'slow: the shortest trace to list (250ms, 1s)' },
    service: { type: 'string', value: 'NAME', description: 'slow, errors: only traces this service took part in' },
    limit: { type: 'string', value: 'N', defaultText: '20 for slow, 50 for errors', description: 'traces at most' },
    json: { type: 'boolean', description: 'print the same information as JSON (durations in microseconds)' },
  },
  examples: [
    'bun run traces slow --min 500ms --service payment',
    'bun run traces show 4bf92f3577b34da6a3ce929d0e0e4736',
    'bun run traces errors --json',
  ],
} as const satisfies CommandSpec

type TracesOptions = typeof TRACES_COMMAND.options

type Request =
  | { command: 'slow'; min: number; minText: string; service?: string; limit: number }
  | { command: 'show' | 'critical-path'; traceId: string }
  | { command: 'errors'; service?: string; limit: number }

const { request, url, json } = readCommandLine(TRACES_COMMAND, parseTracesArgs)
const api = createCollectorClient({ baseUrl: url ?? serviceUrl(process.env, 'collector'), fetch })

await runCommand(TRACES_COMMAND, async () => {
  const output = await answer(request)
  console.log(json ? JSON.stringify(output.data, null, 2) : output.text)
})

/** The command and its values; throws UsageError for what the user must fix. */
function parseTracesArgs(argv: string[]) {
  const { values, positionals } = parseCommandLine(TRACES_COMMAND, argv)
  const command = chosenCommand(TRACES_COMMAND, positionals)
  return { request: requestFor(command, positionals[1], values), url: values.url, json: values.json }
}

function requestFor(command: string, traceId: string | undefined, values: Values<TracesOptions>): Request {
  if (command === 'show' || command === 'critical-path') {
    if (!traceId) throw new UsageError(`${command} needs a trace id`)
    return { command, traceId }
  }
  if (traceId !== undefined) throw new UsageError(`${command} takes no argument, got ${traceId}`)
  const limit = positiveInteger('--limit', values.limit ?? (command === 'slow' ? '20' : '50'))
  if (command === 'errors') return { command, service: values.service, limit }
  const min = parseGoDuration(values.min)
  if (min === undefined) throw new UsageError(`--min ${values.min}: not a duration like 1s or 250ms`)
  return { command: 'slow', min, minText: values.min, service: values.service, limit }
}

/** The command's answer, as text for people and as data for `--json`, from the same traces. */
async function answer(request: Request): Promise<{ text: string; data: unknown }> {
  switch (request.command) {
    case 'slow': {
      // A slow trace has a slow span (its root), but the service asked for may own only fast ones: filter after.
      const found = await api.search({ minDuration: request.minText, limit: '200' })
      const involved = found
        .filter(
          (trace) => !request.service || Object.values(trace.processes).some((p) => p.serviceName === request.service),
        )
        .slice(0, request.limit)
      return { text: renderSlow(involved, request.min), data: slowData(involved, request.min) }
    }
    case 'show': {
      const trace = await api.trace(request.traceId)
      return { text: renderTrace(trace), data: traceData(trace) }
    }
    case 'critical-path': {
      const trace = await api.trace(request.traceId)
      return { text: renderCriticalPath(trace), data: criticalPathData(trace) }
    }
    case 'errors': {
      const found = await api.search({ service: request.service, tags: 'error:true', limit: String(request.limit) })
      return { text: renderErrors(found), data: errorsData(found) }
    }
  }
}

// The data below mirrors collector/report/*.ts: the same selection and order, numbers instead of formatted text.

/** `show`: the tree, each span with its timing, status and events. */
function traceData(trace: JaegerTrace) {
  const tree = buildTree(trace)
  const spanData = (node: TraceNode): object => ({
    ...spanRef(node),
    start: formatTimestamp(node.span.startTime),
    durationUs: node.span.duration,
    selfTimeUs: node.selfTime,
    failed: node.failed,
    statusMessage: node.statusMessage || undefined,
    errorType: node.errorType,
    events: node.span.logs.map((log) => eventData(log, node)),
    children: node.children.map(spanData),
  })
  return {
    traceId: tree.traceId,
    start: formatTimestamp(tree.start),
    durationUs: tree.duration,
    spanCount: tree.nodes.length,
    failingCount: tree.nodes.filter((node) => node.failed).length,
    roots: tree.roots.map(spanData),
  }
}

/** `slow`: the traces at least `minDuration` long, longest first, with the slowest span and the spans over 10%. */
function slowData(traces: JaegerTrace[], minDuration: number) {
  const trees = traces.map(buildTree).filter((tree) => tree.duration >= minDuration)
  trees.sort((a, b) => b.duration - a.duration)
  return {
    minDurationUs: minDuration,
    traces: trees.map((tree) => {
      const slowest = [...tree.nodes].sort((a, b) => b.selfTime - a.selfTime)[0]!
      return {
        traceId: tree.traceId,
        start: formatTimestamp(tree.start),
        durationUs: tree.duration,
        root: spanRef(longestRoot(tree)!),
        slowestSpan: { ...spanRef(slowest), selfTimeUs: slowest.selfTime, durationUs: slowest.span.duration },
        spansOver10Percent: tree.nodes
          .filter((node) => node.span.duration > tree.duration / 10)
          .map((node) => ({
            ...spanRef(node),
            durationUs: node.span.duration,
            share: share(node.span.duration, tree.duration),
          })),
      }
    }),
  }
}

/** `critical-path`: the steps in tree order, each with the time it spent on the path. */
function criticalPathData(trace: JaegerTrace) {
  const tree = buildTree(trace)
  const steps = criticalPath(tree)
  const total = steps.reduce((sum, step) => sum + step.selfTime, 0)
  return {
    traceId: tree.traceId,
    durationUs: total,
    steps: steps.map(({ node, selfTime }) => ({
      ...spanRef(node),
      depth: node.depth,
      selfTimeUs: selfTime,
      share: share(selfTime, total),
      durationUs: node.span.duration,
      failed: node.failed,
    })),
  }
}

/** `errors`: groups by the deepest failing span and its message, most traces first, then the most recent. */
function errorsData(traces: JaegerTrace[]) {
  const groups = new Map<string, ErrorGroup>()
  for (const tree of traces.map(buildTree)) {
    for (const node of deepestFailures(tree)) {
      const { service, statusMessage, errorType } = node
      const name = node.span.operationName
      const key = JSON.stringify([service, name, statusMessage])
      const group = groups.get(key) ?? { service, name, statusMessage, errorType, last: 0, traceIds: [] }
      if (!group.traceIds.includes(tree.traceId)) group.traceIds.push(tree.traceId)
      group.last = Math.max(group.last, node.span.startTime)
      groups.set(key, group)
    }
  }
  return {
    groups: [...groups.values()]
      .sort((a, b) => b.traceIds.length - a.traceIds.length || b.last - a.last)
      .map(({ last, ...group }) => ({ count: group.traceIds.length, ...group, last: formatTimestamp(last) })),
  }
}

interface ErrorGroup {
  service: string
  name: string
  statusMessage: string
  errorType: string | undefined
  /** When its latest failing span started, in microseconds since the epoch. */
  last: number
  traceIds: string[]
}

/** How every JSON answer names a span. */
function spanRef(node: TraceNode) {
  return { spanId: node.span.spanID, service: node.service, name: node.span.operationName }
}

/** A span event: its name, when after the span's start, and its attributes. */
function eventData(log: JaegerLog, node: TraceNode) {
  const [name, ...fields] = log.fields
  return {
    name: String(name?.value),
    offsetUs: log.timestamp - node.span.startTime,
    attributes: Object.fromEntries(fields.map((field) => [field.key, field.value])),
  }
}

/** `part` as a fraction of `whole`, to a tenth of a percent (the text rounds it to a percent). */
function share(part: number, whole: number): number {
  return Math.round((part / Math.max(1, whole)) * 1000) / 1000
}

function positiveInteger(option: string, value: string): number {
  const number = Number(value)
  if (!(Number.isInteger(number) && number > 0)) throw new UsageError(`${option} ${value}: a whole number above zero`)
  return number
}
