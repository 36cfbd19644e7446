// `bun run bench`: one run that measures every part side by side and writes BENCHMARKS.md and bench/results.json.
// Loopback only, bounded in time: about 18 minutes on two cores (`--quick`: about 5).
import { mkdtemp } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { type CommandSpec, parseCommandLine, readCommandLine, UsageError } from '../scripts/cli.ts'
import { bundleSizeSection } from './bundle-size.ts'
import { burstSection } from './burst.ts'
import { collectorSection } from './collector.ts'
import { exporterDown } from './exporter-down.ts'
import { describeMachine, type Machine } from './machine.ts'
import { orderThroughput } from './order-throughput.ts'
import { spawnOtlpSink } from './otlp-sink.ts'
import { precheckSection } from './prechecks.ts'
import { type Goal, markdownTable, type SectionContext, type SectionResult } from './section.ts'
import { spanCost } from './span-cost.ts'
import { SystemPool } from './systems.ts'
import { tracingOverhead } from './tracing-overhead.ts'

/** The report's parts, each id with its heading, in the order BENCHMARKS.md gets them. */
const TITLES: Record<string, string> = {
  'tracing-overhead': 'Tracing overhead on the order path, and the floor',
  burst: 'A burst of orders: spans dropped',
  'order-throughput': 'Order throughput and latency',
  'span-cost': 'Cost per span: our library and the official SDK',
  collector: 'Collector: ingest, responsiveness and queries',
  'exporter-down': 'Soak with the collector down: memory and latency',
  prechecks: 'Pre-checks: sequential against parallel',
  'bundle-size': 'Worker bundle sizes',
}

const BENCH_COMMAND = {
  name: 'bench',
  summary:
    'Measures every part side by side (tracing overhead per runtime against a discard sink and the collector, the\n' +
    'floor of the order path, a burst of orders, span cost, throughput and latency, the collector, a soak with the\n' +
    'collector down, pre-checks, Worker bundle sizes), each against its goal, and writes BENCHMARKS.md and\n' +
    'bench/results.json. Starts its own systems on free ports: nothing needs to run, and a running bun run dev is\n' +
    'not disturbed. Loopback only; about 18 minutes on two cores.',
  options: {
    quick: {
      type: 'boolean',
      description:
        'short phases and a 30 s soak (about 5 minutes): to check that the bench works; the figures are not comparable',
    },
    only: {
      type: 'string',
      value: 'PARTS',
      description: `run only these parts, comma separated: ${Object.keys(TITLES).join(', ')}`,
    },
  },
  examples: ['bun run bench', 'bun run bench --quick', 'bun run bench --quick --only burst,collector'],
  notes: [
    'Only a full run (neither --quick nor --only) rewrites BENCHMARKS.md and bench/results.json; any other run\n' +
      'writes its report to a temporary folder and prints where.',
  ],
} as const satisfies CommandSpec

const { values } = readCommandLine(BENCH_COMMAND, (argv) => {
  const line = parseCommandLine(BENCH_COMMAND, argv)
  const unknown = (line.values.only ?? '')
    .split(',')
    .filter(Boolean)
    .filter((id) => !(id in TITLES))
  if (unknown.length) throw new UsageError(`--only: unknown part ${unknown.join(', ')}`)
  return line
})
const only = values.only ? new Set(values.only.split(',').filter(Boolean)) : undefined
const partial = values.quick || only !== undefined

/** The summary's rows, in the order of the issue's table. */
const GOAL_ORDER = [
  'sink-bun',
  'sink-deno',
  'sink-workers',
  'collector-bun',
  'collector-deno',
  'collector-workers',
  'ingest-json',
  'ingest-protobuf',
  'healthz',
  'healthz-big-trace',
  'bundles',
  'burst',
  'floor',
  'memory',
]

/** What a goal row is about, for a row whose part did not give it. */
const GOAL_MEASURES: Record<string, string> = {
  'sink-bun': 'orders/s on ÷ off, spans to a discard sink in another process, Bun',
  'sink-deno': 'orders/s on ÷ off, spans to a discard sink in another process, Deno',
  'sink-workers': 'orders/s on ÷ off, spans to a discard sink in another process, workerd',
  'collector-bun': 'orders/s on ÷ off, exporting to the collector, Bun',
  'collector-deno': 'orders/s on ÷ off, exporting to the collector, Deno',
  'collector-workers': 'orders/s on ÷ off, exporting to the collector, workerd',
  'ingest-json': 'collector ingest over HTTP, OTLP/JSON',
  'ingest-protobuf': 'collector ingest over HTTP, OTLP/protobuf',
  healthz: 'collector /healthz while ingesting plus one tag search',
  'healthz-big-trace': 'collector /healthz while a 50,000-span trace is read whole (Jaeger v1, api_v3)',
  bundles: 'worker bundles, gzip',
  burst: 'spans dropped by the order service for a burst of 200 concurrent orders',
  floor: 'untraced orders/s ÷ a skeleton of the same hops and statements',
  memory: 'resident memory with the collector down, soak',
}

/**
 * Each row as it stood before the work on tracing's cost: the figures of the issue that set these goals (measured on
 * Bun) and, for Deno and workerd, the last committed run before it. Kept here, not measured: the code they describe
 * is gone.
 */
const BEFORE: Record<string, string> = {
  'sink-bun': '0.83×',
  'sink-deno': 'not measured',
  'sink-workers': 'not measured',
  'collector-bun': '0.62×',
  'collector-deno': '0.67×',
  'collector-workers': '0.53×',
  'ingest-json': '21k spans/s',
  'ingest-protobuf': 'not measured',
  healthz: '632 ms worst',
  // This bench's reading of the trace against d29e0aa's collector, which built each answer whole before sending it.
  'healthz-big-trace': '2,141 ms worst (v1 789, api_v3 2,141)',
  bundles: '214–256 KiB',
  burst: '279–686',
  floor: '0.58×',
  memory: 'not measured',
}

/** Used when the order throughput part did not run or failed and gave no rate. */
const FALLBACK_SATURATION = 50

type Outcome = { status: 'measured'; result: SectionResult } | { status: 'failed'; reason: string }

const root = new URL('../', import.meta.url).pathname
const started = performance.now()
const context: SectionContext = {
  log: (message) =>
    console.error(`bench ${((performance.now() - started) / 1000).toFixed(0).padStart(4)}s  ${message}`),
  quick: values.quick,
}
const outcomes = new Map<string, Outcome>()
/** Seconds each part took. */
const partSeconds: Record<string, number> = {}

async function measure(id: string, run: () => Promise<SectionResult>): Promise<void> {
  if (only && !only.has(id)) return
  const began = performance.now()
  try {
    outcomes.set(id, { status: 'measured', result: await run() })
  } catch (error) {
    context.log(`${id} failed: ${error instanceof Error ? error.stack : error}`)
    outcomes.set(id, { status: 'failed', reason: error instanceof Error ? error.message : String(error) })
  }
  partSeconds[id] = Math.round((performance.now() - began) / 1000)
  context.log(`${id}: ${partSeconds[id]} s`)
}

const machine = await describeMachine()
const sink = await spawnOtlpSink()
const pool = new SystemPool(sink.endpoint)
try {
  await measure('tracing-overhead', () => tracingOverhead(context, pool, sink))
  await measure('burst', () => burstSection(context, pool))
  let saturation = FALLBACK_SATURATION
  await measure('order-throughput', async () => {
    const result = await orderThroughput(context, pool)
    saturation = result.halfRate * 2
    return result
  })
  await pool.stop()
  await measure('span-cost', () => spanCost(context))
  // Three shops at once, an eighth of saturation each: together well below it, so latency is not queueing.
  await measure('exporter-down', () => exporterDown(context, sink, Math.max(1, Math.round(saturation / 8))))
  await measure('collector', () => collectorSection(context))
  await measure('prechecks', () => precheckSection(context))
  await measure('bundle-size', () => bundleSizeSection(context))
} finally {
  await pool.stop()
  await sink.stop()
}

const durationSeconds = Math.round((performance.now() - started) / 1000)
const loadAverageAtEnd = loadavg()[0]!
const outputDir = partial ? await mkdtemp(join(tmpdir(), 'bench-')) : root
const resultsPath = partial ? join(outputDir, 'results.json') : `${root}bench/results.json`
await Bun.write(join(outputDir, 'BENCHMARKS.md'), report(machine, durationSeconds))
await Bun.write(
  resultsPath,
  `${JSON.stringify(
    {
      machine,
      durationSeconds,
      loadAverageAtEnd,
      quick: values.quick,
      partSeconds,
      sections: Object.fromEntries(outcomes),
    },
    null,
    2,
  )}\n`,
)
// `bun run lint` checks bench/results.json: leave it as the formatter writes it.
if (!partial)
  Bun.spawnSync([`${root}node_modules/.bin/biome`, 'format', '--write', resultsPath], {
    cwd: root,
    stdout: 'ignore',
    stderr: 'ignore',
  })
context.log(`wrote ${join(outputDir, 'BENCHMARKS.md')} and ${resultsPath} in ${durationSeconds} s`)
process.exit(0)

function report(machine: Machine, seconds: number): string {
  const lines = [
    '# Benchmarks',
    '',
    `Figures of one run of \`bun run bench\` on ${machine.date.slice(0, 10)} at commit ${machine.commit}${uncommittedText(machine.uncommitted)}; the run took ${Math.floor(seconds / 60)} min ${seconds % 60} s.`,
    'To reproduce them on a fresh clone (it rewrites this file and `bench/results.json`):',
    '',
    '```sh',
    'npx bun install',
    'npx bun run bench',
    '```',
    '',
    'Every comparison is measured in the same run, its sides alternating, so that a noisy machine hits them all and the',
    'ratios hold. The figures are reported, not asserted by any test. How to run the load generator and the bench, and',
    'what each part does: [docs/benchmarks.md](docs/benchmarks.md).',
    ...(values.quick
      ? ['', '**A `--quick` run: short phases, to check that the bench works. These figures are not comparable.**']
      : []),
    '',
    '## Against the goals',
    '',
    markdownTable({
      columns: ['measure', 'before', 'measured', 'goal', 'met'],
      rows: goalRows().map((goal) => [
        goal.measure,
        BEFORE[goal.id] ?? '',
        goal.measured,
        goal.goal,
        goal.met === undefined ? 'n/a' : goal.met ? 'yes' : 'no',
      ]),
    }),
    '',
    `Load average (1 min) at the start of the run: ${machine.loadAverage.toFixed(1)} on ${machine.cores} cores; above the core count, other work shared the machine.`,
    '',
    '## Machine',
    '',
    markdownTable({
      columns: ['', ''],
      rows: [
        ['CPU', machine.cpu],
        ['cores', machine.cores],
        ['memory', `${machine.memoryGiB} GiB`],
        ['OS', machine.os],
        ['Bun', machine.bun],
        ['Deno', machine.deno],
        ['date', machine.date],
        [
          'seconds per part',
          Object.entries(partSeconds)
            .map(([id, spent]) => `${id} ${spent}`)
            .join(', '),
        ],
        [
          'load average (1 min), start → end of the run',
          `${machine.loadAverage.toFixed(1)} → ${loadAverageAtEnd.toFixed(1)}`,
        ],
      ],
    }),
  ]
  for (const [id, title] of Object.entries(TITLES)) {
    if (only && !only.has(id)) continue
    lines.push('', `## ${title}`, '')
    const outcome = outcomes.get(id)
    if (outcome?.status === 'measured') {
      lines.push(outcome.result.tables.map(markdownTable).join('\n\n'))
      if (outcome.result.notes?.length) lines.push('', ...outcome.result.notes.map((note) => `- ${note}`))
    } else lines.push(`_Failed in this run: ${outcome?.reason ?? 'not run'}_`)
  }
  return `${lines.join('\n')}\n`
}

/** The tracked files that differed from the commit, named when they are few. */
function uncommittedText(paths: string[]): string {
  if (paths.length === 0) return ''
  if (paths.length > 5) return ` with uncommitted changes to ${paths.length} files (named in bench/results.json)`
  return ` with uncommitted changes to ${paths.map((path) => `\`${path}\``).join(', ')}`
}

/** Every part's goal rows in the order of GOAL_ORDER; a row whose part failed or did not run says so. */
function goalRows(): Goal[] {
  const measured = new Map<string, Goal>()
  for (const outcome of outcomes.values())
    if (outcome.status === 'measured') for (const goal of outcome.result.goals ?? []) measured.set(goal.id, goal)
  const placeholder = (id: string): Goal => ({
    id,
    measure: GOAL_MEASURES[id] ?? id,
    measured: 'not measured in this run',
    goal: '',
  })
  return [
    ...GOAL_ORDER.map((id) => measured.get(id) ?? placeholder(id)),
    ...[...measured.values()].filter((goal) => !GOAL_ORDER.includes(goal.id)),
  ].filter((goal) => !only || measured.has(goal.id))
}
