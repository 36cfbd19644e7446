// `bun run load [--url http://localhost:8080] [--rate 50 | --concurrency 8] [--duration 10s] [--max-requests 100000]
//   [--mix sku-mouse:3,sku-cable:1] [--faults payment=decline:0.1,payment=timeout:0.05] [--json]`
// Places orders through the gateway on loopback, with a live progress line on stderr and a summary at the end.
import { LoadOptionError, parseLoadArgs } from './load/options.ts'
import { describeModel, progressLine, summaryTable } from './load/report.ts'
import { runLoad } from './load/run.ts'

let parsed: ReturnType<typeof parseLoadArgs>
try {
  parsed = parseLoadArgs(process.argv.slice(2))
} catch (error) {
  if (!(error instanceof LoadOptionError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')))
    throw error
  console.error(`load: ${(error as Error).message}`)
  process.exit(2)
}
const { options, json } = parsed

// Ctrl-C stops sending, waits for the answers in flight and still prints the summary.
const stop = new AbortController()
process.once('SIGINT', () => stop.abort())

const live = process.stderr.isTTY
if (!json)
  console.error(
    `load: ${options.url}, ${describeModel(options.model)}, for ${options.durationMs / 1000} s or ${options.maxRequests} requests`,
  )
const { summary } = await runLoad(options, {
  signal: stop.signal,
  onProgress: (progress) =>
    process.stderr.write(live ? `\r\x1b[K${progressLine(progress)}` : `${progressLine(progress)}\n`),
})
if (live) process.stderr.write('\r\x1b[K')
console.log(json ? JSON.stringify(summary, null, 2) : summaryTable(summary))
