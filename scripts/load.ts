// `bun run load`: places orders through the gateway on loopback, with a live progress line on stderr and a summary
// at the end; `--max-p95`, `--max-p99` and `--max-error-rate` make it a gate (exit 1 when one is broken).
// `bun run load --help` lists the options.
import { readCommandLine, runCommand } from './cli.ts'
import { LOAD_COMMAND, parseLoadArgs } from './load/options.ts'
import { describeModel, jsonReport, progressLine, summaryTable } from './load/report.ts'
import { runLoad } from './load/run.ts'
import { checkThresholds, describeThreshold } from './load/thresholds.ts'

const { options, json, thresholds } = readCommandLine(LOAD_COMMAND, parseLoadArgs)

// Ctrl-C stops sending, waits for the answers in flight and still prints the summary.
const stop = new AbortController()
process.once('SIGINT', () => stop.abort())

await runCommand(LOAD_COMMAND, async () => {
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
  const results = checkThresholds(summary, thresholds)
  console.log(json ? jsonReport(summary, results) : summaryTable(summary, results))
  // On stderr as well, so a gate's log says why it failed even with stdout sent to a file.
  const broken = results.filter((result) => !result.passed)
  if (broken.length) {
    console.error(`load: threshold broken: ${broken.map(describeThreshold).join('; ')}`)
    process.exitCode = 1
  }
})
