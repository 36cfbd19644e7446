import { formatMicros, formatTimestamp } from '../duration.ts'
import { serviceColors } from './colors.ts'
import { Layout } from './layout.tsx'
import { Scatter } from './scatter.tsx'
import { LOOKBACKS, type SearchForm, SORT_ORDERS } from './search-params.ts'
import type { TraceSummary } from './trace-summaries.ts'

/** Search form, the duration-over-time scatter of the traces found, and the list, each with a bar scaled to the longest. */
export function SearchPage({
  form,
  services,
  operations,
  traces,
  error,
}: {
  form: SearchForm
  services: string[]
  /** The chosen service's operations (none without a service). */
  operations: string[]
  traces: TraceSummary[]
  /** Why the search could not run (the page is then a 400). */
  error?: string | undefined
}) {
  const longest = Math.max(1, ...traces.map((trace) => trace.duration))
  const colors = serviceColors(
    services,
    traces.flatMap((trace) => trace.services),
  )
  return (
    <Layout title="Search">
      <SearchFormView form={form} services={services} operations={operations} />
      {error ? (
        <p class="form-error" role="alert">
          {error}
        </p>
      ) : (
        <p class="meta">{traces.length} traces</p>
      )}
      <Scatter traces={traces} />
      <ol class="results">
        {traces.map((trace) => (
          <li class="result">
            <a href={`/trace/${trace.traceId}`}>
              {trace.rootService}: {trace.rootName}
            </a>{' '}
            <span class="meta">
              {formatMicros(trace.duration)} · {trace.spans} spans · {formatTimestamp(trace.start)} · {trace.traceId}
            </span>{' '}
            {trace.errors > 0 ? (
              <span class="error-mark">✗ {trace.errors} errors</span>
            ) : (
              <span class="ok-mark">✓</span>
            )}
            <div class="meta">
              {trace.services.map((service) => (
                <span>
                  <span class="dot" style={`background:${colors.get(service)}`} />
                  {service}{' '}
                </span>
              ))}
            </div>
            <div
              class={trace.errors > 0 ? 'duration-bar error' : 'duration-bar'}
              style={`width:${(100 * trace.duration) / longest}%`}
            />
          </li>
        ))}
      </ol>
    </Layout>
  )
}

function SearchFormView({
  form,
  services,
  operations,
}: {
  form: SearchForm
  services: string[]
  operations: string[]
}) {
  return (
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
        <select name="operation" disabled={!form.service}>
          <option value="">all operations</option>
          {operations.map((operation) => (
            <option value={operation} selected={operation === form.operation}>
              {operation}
            </option>
          ))}
        </select>
      </label>
      <label>
        Tags
        <input name="tags" value={form.tags} placeholder='http.route=/orders error.type="a b"' size={28} />
      </label>
      <label>
        Lookback
        <select name="lookback">
          {LOOKBACKS.map(([value, label]) => (
            <option value={value} selected={value === form.lookback}>
              {label}
            </option>
          ))}
        </select>
      </label>
      <span class="custom-range">
        <label>
          Start (UTC)
          <input type="datetime-local" name="start" value={form.start} step={1} />
        </label>
        <label>
          End (UTC)
          <input type="datetime-local" name="end" value={form.end} step={1} />
        </label>
      </span>
      <label>
        Min duration
        <input name="minDuration" value={form.minDuration} placeholder="e.g. 250ms" size={8} />
      </label>
      <label>
        Max duration
        <input name="maxDuration" value={form.maxDuration} placeholder="e.g. 2s" size={8} />
      </label>
      <label>
        Limit
        <input name="limit" value={form.limit} size={4} />
      </label>
      <label>
        Sort
        <select name="sort">
          {SORT_ORDERS.map(([value, label]) => (
            <option value={value} selected={value === form.sort}>
              {label}
            </option>
          ))}
        </select>
      </label>
      <label>
        <span>
          <input type="checkbox" name="errors" value="on" checked={form.errors} /> errors only
        </span>
      </label>
      <button type="submit">Find traces</button>
    </form>
  )
}
