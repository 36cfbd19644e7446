// `bun run traces <command>`: slow traces, a trace's tree, its critical path and recent errors, from the collector's query API.
import { parseArgs } from 'node:util'
import { createCollectorClient } from '../collector/client.ts'
import { parseGoDuration } from '../collector/duration.ts'
import { renderCriticalPath } from '../collector/report/critical-path.ts'
import { renderErrors } from '../collector/report/errors.ts'
import { renderTrace } from '../collector/report/show.ts'
import { renderSlow } from '../collector/report/slow.ts'
import { serviceUrl } from '../shared/config.ts'

const USAGE = `usage: bun run traces <command> [--url URL]
  slow --min 1s [--service S] [--limit 20]   slow traces, their slowest span and the spans over 10%
  show <traceId>                             the trace tree, with errors, error.type and events
  critical-path <traceId>                    the spans that set the trace's duration, with self time
  errors [--service S] [--limit 50]          recent failing traces grouped by deepest failing span and message
The collector is COLLECTOR_URL, else http://127.0.0.1:$COLLECTOR_PORT (4318).`

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: 'string' },
    min: { type: 'string', default: '1s' },
    service: { type: 'string' },
    limit: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
})

const api = createCollectorClient({ baseUrl: values.url ?? serviceUrl(process.env, 'collector'), fetch })
const [command, traceId] = positionals

async function run(): Promise<string> {
  switch (command) {
    case 'slow': {
      const min = parseGoDuration(values.min!)
      if (min === undefined) throw new Error(`--min: not a duration like 1s or 250ms: ${values.min}`)
      // A slow trace has a slow span (its root), but the service asked for may own only fast ones: filter after.
      const traces = await api.search({ minDuration: values.min, limit: '200' })
      const involved = traces.filter(
        (trace) => !values.service || Object.values(trace.processes).some((p) => p.serviceName === values.service),
      )
      return renderSlow(involved.slice(0, Number(values.limit ?? 20)), min)
    }
    case 'show':
      return renderTrace(await api.trace(required(traceId)))
    case 'critical-path':
      return renderCriticalPath(await api.trace(required(traceId)))
    case 'errors':
      return renderErrors(
        await api.search({ service: values.service, tags: 'error:true', limit: values.limit ?? '50' }),
      )
    default:
      if (!values.help) process.exitCode = 2
      return USAGE
  }
}

function required(id: string | undefined): string {
  if (!id) throw new Error(`a trace id is required\n${USAGE}`)
  return id
}

try {
  console.log(await run())
} catch (error) {
  console.error(`traces: ${(error as Error).message}`)
  process.exitCode = 1
}
