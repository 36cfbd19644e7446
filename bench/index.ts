// `bun run bench`: one run that measures every part side by side and writes BENCHMARKS.md and bench/results.json.
// Loopback only, bounded in time: under ten minutes on two cores.
import { loadavg } from 'node:os'
import { type CommandSpec, readCommandLine } from '../scripts/cli.ts'
import { bundleSizeSection } from './bundle-size.ts'
import { collectorSection } from './collector.ts'
import { exporterDown } from './exporter-down.ts'
import { describeMachine, type Machine } from './machine.ts'
import { orderThroughput } from './order-throughput.ts'
import { startOtlpSink } from './otlp-sink.ts'
import { precheckSection } from './prechecks.ts'
import { markdownTable, type SectionContext, type SectionResult } from './section.ts'
import { spanCost } from './span-cost.ts'
import { SystemPool } from './systems.ts'
import { tracingOverhead } from './tracing-overhead.ts'

const BENCH_COMMAND = {
  name: 'bench',
  summary:
    'Measures every part side by side (tracing overhead per runtime, span cost, throughput and latency, the\n' +
    'collector, the exporter with the collector down, pre-checks, Worker bundle sizes) and writes BENCHMARKS.md and\n' +
    'bench/results.json. Starts its own systems on free ports: nothing needs to run, and a running bun run dev is\n' +
    'not disturbed. Loopback only; under ten minutes on two cores.',
  options: {},
  examples: ['bun run bench'],
} as const satisfies CommandSpec

readCommandLine(BENCH_COMMAND)

/** The report's parts, each id with its heading, in the order BENCHMARKS.md gets them. */
const TITLES = {
  'tracing-overhead': 'Tracing overhead on the order path',
  'span-cost': 'Cost per span: our library and the official SDK',
  'order-throughput': 'Order throughput and latency',
  collector: 'Collector: ingest and queries',
  prechecks: 'Pre-checks: sequential against parallel',
  'exporter-down': 'The exporter with the collector down',
  'bundle-size': 'Worker bundle sizes',
}

/** Used when the order throughput part failed and gave no rate. */
const FALLBACK_RATE = 50

type Outcome = { status: 'measured'; result: SectionResult } | { status: 'failed'; reason: string }

const root = new URL('../', import.meta.url).pathname
const started = performance.now()
const context: SectionContext = {
  log: (message) =>
    console.error(`bench ${((performance.now() - started) / 1000).toFixed(0).padStart(4)}s  ${message}`),
}
const outcomes = new Map<string, Outcome>()

async function measure(id: string, run: () => Promise<SectionResult>): Promise<void> {
  try {
    outcomes.set(id, { status: 'measured', result: await run() })
  } catch (error) {
    context.log(`${id} failed: ${error instanceof Error ? error.stack : error}`)
    outcomes.set(id, { status: 'failed', reason: error instanceof Error ? error.message : String(error) })
  }
}

const machine = await describeMachine()
const sink = startOtlpSink()
const pool = new SystemPool()
try {
  await measure('tracing-overhead', () => tracingOverhead(context, pool))
  let halfRate = FALLBACK_RATE
  await measure('order-throughput', async () => {
    const result = await orderThroughput(context, pool)
    halfRate = result.halfRate
    return result
  })
  await pool.stop()
  await measure('span-cost', () => spanCost(context))
  // A quarter of saturation: far enough below it that a noisy spell does not turn latency into queueing.
  await measure('exporter-down', () => exporterDown(context, sink, Math.max(1, Math.round(halfRate / 2))))
  await measure('collector', () => collectorSection(context))
  await measure('prechecks', () => precheckSection(context))
  await measure('bundle-size', () => bundleSizeSection(context))
} finally {
  await pool.stop()
  sink.stop()
}

const durationSeconds = Math.round((performance.now() - started) / 1000)
await Bun.write(`${root}BENCHMARKS.md`, report(machine, durationSeconds))
await Bun.write(
  `${root}bench/results.json`,
  `${JSON.stringify({ machine, durationSeconds, sections: Object.fromEntries(outcomes) }, null, 2)}\n`,
)
context.log(`wrote BENCHMARKS.md and bench/results.json in ${durationSeconds} s`)
process.exit(0)

function report(machine: Machine, seconds: number): string {
  const lines = [
    '# Benchmarks',
    '',
    `Figures of one run of \`bun run bench\` on ${machine.date.slice(0, 10)} at commit ${machine.commit}; the run took ${Math.floor(seconds / 60)} min ${seconds % 60} s.`,
    'To reproduce them on a fresh clone (it rewrites this file and `bench/results.json`):',
    '',
    '```sh',
    'npx bun install',
    'npx bun run bench',
    '```',
    '',
    'Every comparison is measured in the same run, its sides alternating, so that a noisy machine hits both and the ratios',
    'hold. The figures are reported, not asserted by any test. Goals, for orientation: tracing costs under 10% of',
    'throughput; the collector ingests tens of thousands of spans per second on two cores; memory stays flat with the',
    'collector down. How to run the load generator and the bench: [docs/benchmarks.md](docs/benchmarks.md).',
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
          'load average (1 min), start → end of the run',
          `${machine.loadAverage.toFixed(1)} → ${loadavg()[0]!.toFixed(1)}`,
        ],
      ],
    }),
  ]
  for (const [id, title] of Object.entries(TITLES)) {
    lines.push('', `## ${title}`, '')
    const outcome = outcomes.get(id)
    if (outcome?.status === 'measured') {
      lines.push(outcome.result.tables.map(markdownTable).join('\n\n'))
      if (outcome.result.notes?.length) lines.push('', ...outcome.result.notes.map((note) => `- ${note}`))
    } else lines.push(`_Failed in this run: ${outcome?.reason ?? 'not run'}_`)
  }
  return `${lines.join('\n')}\n`
}
