import { buildTree, longestRoot } from '../analysis/tree.ts'
import { formatMicros, formatTimestamp } from '../duration.ts'
import type { JaegerTrace } from '../jaeger.ts'
import { Layout, serviceColor } from './layout.tsx'

export interface SearchForm {
  service: string
  operation: string
  minDuration: string
  errors: boolean
  limit: string
}

/** Search form and the traces found, newest first, each with a bar scaled to the longest. */
export function SearchPage({
  form,
  services,
  traces,
}: {
  form: SearchForm
  services: string[]
  traces: JaegerTrace[]
}) {
  const trees = traces.map(buildTree)
  const longest = Math.max(1, ...trees.map((tree) => tree.duration))
  return (
    <Layout title="Search">
      <form class="search" method="get" action="/">
        <label>
          Service
          <select name="service">
            <option value="">all services</option>
            {services.map((service) => (
              <option value={service} selected={service === form.service}>
                {service}
              </option>
            ))}
          </select>
        </label>
        <label>
          Operation
          <input name="operation" value={form.operation} placeholder="any" />
        </label>
        <label>
          Min duration
          <input name="minDuration" value={form.minDuration} placeholder="e.g. 250ms" size={8} />
        </label>
        <label>
          Limit
          <input name="limit" value={form.limit} size={4} />
        </label>
        <label>
          <span>
            <input type="checkbox" name="errors" value="on" checked={form.errors} /> errors only
          </span>
        </label>
        <button type="submit">Find traces</button>
      </form>
      <p class="meta">{trees.length} traces</p>
      <ol class="results">
        {trees.map((tree) => {
          const root = longestRoot(tree)!
          const errors = tree.nodes.filter((node) => node.failed).length
          const services = [...new Set(tree.nodes.map((node) => node.service))]
          return (
            <li class="result">
              <a href={`/trace/${tree.traceId}`}>
                {root.service}: {root.span.operationName}
              </a>{' '}
              <span class="meta">
                {formatMicros(tree.duration)} · {tree.nodes.length} spans · {formatTimestamp(tree.start)} ·{' '}
                {tree.traceId}
              </span>{' '}
              {errors > 0 ? <span class="error-mark">✗ {errors} errors</span> : <span class="ok-mark">✓</span>}
              <div class="meta">
                {services.map((service) => (
                  <span>
                    <span class="dot" style={`background:${serviceColor(service)}`} />
                    {service}{' '}
                  </span>
                ))}
              </div>
              <div
                class={errors > 0 ? 'duration-bar error' : 'duration-bar'}
                style={`width:${(100 * tree.duration) / longest}%`}
              />
            </li>
          )
        })}
      </ol>
    </Layout>
  )
}
