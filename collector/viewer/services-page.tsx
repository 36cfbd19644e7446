import type { Child } from 'hono/jsx'
import type { Latencies } from '../analysis/latency.ts'
import { formatMicros } from '../duration.ts'
import { formatRate, formatShare } from './figures.ts'
import { Layout } from './layout.tsx'
import { KINDS, type KindName, type ServiceStats } from './service-stats.ts'
import type { WindowName } from './window.ts'
import { WindowForm } from './window-form.tsx'

const PERCENTILES = [
  ['p50', 0.5],
  ['p95', 0.95],
  ['p99', 0.99],
] as const

/**
 * Rate, error share and latency percentiles per service and operation over a window, each figure a link to the
 * traces behind it: the search for the service (and operation), with errors only, or at least as slow.
 */
export function ServicesPage({
  stats,
  windowName,
  seconds,
  kind,
  colors,
}: {
  stats: ServiceStats[]
  windowName: WindowName
  seconds: number
  kind: KindName
  colors: Map<string, string>
}) {
  return (
    <Layout title="Services">
      <WindowForm action="/services" windowName={windowName}>
        <label>
          Spans
          <select name="kind">
            {KINDS.map(([value, label]) => (
              <option value={value} selected={value === kind}>
                {label}
              </option>
            ))}
          </select>
        </label>
      </WindowForm>
      <p class="meta">
        Over the window: calls, calls a second (or minute), the share that failed and latency percentiles. Every figure
        links to its traces: the errors to the failed ones, a percentile to those at least as slow.
      </p>
      {stats.length === 0 ? (
        <p class="meta">No {kind === 'all' ? '' : `${kind} `}spans started in this window.</p>
      ) : (
        <table class="stats">
          <thead>
            <tr>
              <th>Service / operation</th>
              <th>Calls</th>
              <th>Rate</th>
              <th>Errors</th>
              {PERCENTILES.map(([name]) => (
                <th>{name}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {stats.map((service) => (
              <>
                <StatsRow
                  class="service"
                  label={
                    <>
                      <span class="dot" style={`background:${colors.get(service.service)}`} />
                      {service.service}
                    </>
                  }
                  latencies={service.total}
                  search={{ service: service.service, lookback: windowName }}
                  seconds={seconds}
                />
                {[...service.operations]
                  .sort(([, a], [, b]) => b.count - a.count)
                  .map(([operation, latencies]) => (
                    <StatsRow
                      class="operation"
                      label={operation}
                      latencies={latencies}
                      search={{ service: service.service, operation, lookback: windowName }}
                      seconds={seconds}
                    />
                  ))}
              </>
            ))}
          </tbody>
        </table>
      )}
    </Layout>
  )
}

function StatsRow({
  class: kind,
  label,
  latencies,
  search,
  seconds,
}: {
  class: 'service' | 'operation'
  label: Child
  latencies: Latencies
  search: Record<string, string>
  seconds: number
}) {
  const link = (extra: Record<string, string> = {}) => `/?${new URLSearchParams({ ...search, ...extra })}`
  return (
    <tr class={kind} data-operation={search.operation ?? ''} data-service={search.service}>
      <td class={kind === 'operation' ? 'operation' : undefined}>
        <a href={link()}>{label}</a>
      </td>
      <td>{latencies.count}</td>
      <td class="rate">{formatRate(latencies.count / seconds)}</td>
      <td class="errors">
        <a href={link({ errors: 'on' })}>{formatShare(latencies.errorShare)}</a>
      </td>
      {PERCENTILES.map(([name, p]) => {
        const value = latencies.percentile(p)
        return (
          <td class={name}>
            <a href={link({ minDuration: `${value}us` })} title={`traces with a span at least ${formatMicros(value)}`}>
              {formatMicros(value)}
            </a>
          </td>
        )
      })}
    </tr>
  )
}
