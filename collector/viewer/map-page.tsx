import { formatRate, formatShare } from './figures.ts'
import { layOutGraph } from './graph-layout.ts'
import { Layout } from './layout.tsx'
import type { MapEdge, MapNode } from './service-map.ts'
import type { WindowName } from './window.ts'
import { WindowForm } from './window-form.tsx'

const NODE = { width: 180, height: 56 }
const GAP = { column: 150, row: 36 }
const PAD = 24

/**
 * The services that sent spans in the window and the calls between them, callers left of what they call: each
 * call's rate and error share on its arrow (red when some failed), each service's span rate and error share in its
 * box, and the same as a table. Every service and call links to its traces.
 */
export function MapPage({
  nodes,
  edges,
  windowName,
  seconds,
  colors,
}: {
  nodes: MapNode[]
  edges: MapEdge[]
  windowName: WindowName
  seconds: number
  colors: Map<string, string>
}) {
  const search = (service: string, extra: Record<string, string> = {}) =>
    `/?${new URLSearchParams({ service, lookback: windowName, ...extra })}`
  const placed = layOutGraph(
    nodes.map((node) => node.service),
    edges,
  )
  const columns = Math.max(1, ...[...placed.values()].map((place) => place.column + 1))
  const rowsIn = (column: number) => [...placed.values()].filter((place) => place.column === column).length
  const tallest = Math.max(1, ...Array.from({ length: columns }, (_, column) => rowsIn(column)))
  const width = PAD * 2 + columns * NODE.width + (columns - 1) * GAP.column
  const height = PAD * 2 + tallest * NODE.height + (tallest - 1) * GAP.row
  // Columns with fewer services are centred against the tallest.
  const box = (service: string) => {
    const { column, row } = placed.get(service)!
    const offset = ((tallest - rowsIn(column)) * (NODE.height + GAP.row)) / 2
    return { x: PAD + column * (NODE.width + GAP.column), y: PAD + offset + row * (NODE.height + GAP.row) }
  }
  return (
    <Layout title="Service map">
      <WindowForm action="/map" windowName={windowName} />
      {nodes.length === 0 ? (
        <p class="meta">No spans started in this window.</p>
      ) : (
        <>
          <figure class="service-map">
            <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label="service map" style={`max-width:${width}px`}>
              <defs>
                <marker
                  id="arrow"
                  viewBox="0 0 10 10"
                  refX="10"
                  refY="5"
                  markerWidth="7"
                  markerHeight="7"
                  orient="auto"
                >
                  <path d="M0,0 L10,5 L0,10 z" fill="#6b7280" />
                </marker>
              </defs>
              {edges.map((edge) => {
                const from = box(edge.parent)
                const to = box(edge.child)
                const [x1, y1] = [from.x + NODE.width, from.y + NODE.height / 2]
                const [x2, y2] = [to.x, to.y + NODE.height / 2]
                // A call back to the left (a cycle) loops below the boxes instead of crossing them.
                const back = x2 <= x1
                const bend = back ? NODE.height + GAP.row / 2 : 0
                const reach = back ? 80 : (x2 - x1) / 2
                const path = `M${x1},${y1} C${x1 + reach},${y1 + bend} ${x2 - reach},${y2 + bend} ${x2},${y2}`
                return (
                  <a href={search(edge.child)} class={edge.errors > 0 ? 'edge failing' : 'edge'}>
                    <path d={path} marker-end="url(#arrow)" stroke-width={Math.min(6, 1.5 + Math.log10(edge.calls))} />
                    <text x={(x1 + x2) / 2} y={(y1 + y2) / 2 + bend * 0.75 - 6} text-anchor="middle">
                      {formatRate(edge.calls / seconds)} · {formatShare(edge.errors / edge.calls)} errors
                    </text>
                    <title>
                      {edge.parent} calls {edge.child}: {edge.calls} calls, {edge.errors} failed
                    </title>
                  </a>
                )
              })}
              {nodes.map((node) => {
                const { x, y } = box(node.service)
                return (
                  <a href={search(node.service)} class="node" data-service={node.service}>
                    <rect
                      x={x}
                      y={y}
                      width={NODE.width}
                      height={NODE.height}
                      rx={8}
                      stroke={colors.get(node.service)}
                    />
                    <text x={x + 12} y={y + 22} font-weight="600">
                      {node.service}
                    </text>
                    <text x={x + 12} y={y + 42} class="meta">
                      {formatRate(node.spans / seconds)} spans · {formatShare(node.errors / Math.max(1, node.spans))}{' '}
                      errors
                    </text>
                  </a>
                )
              })}
            </svg>
          </figure>
          <table class="stats edges">
            <thead>
              <tr>
                <th>Call</th>
                <th>Calls</th>
                <th>Rate</th>
                <th>Errors</th>
              </tr>
            </thead>
            <tbody>
              {edges.map((edge) => (
                <tr data-edge={`${edge.parent}→${edge.child}`}>
                  <td>
                    <a href={search(edge.child)}>
                      {edge.parent} calls {edge.child}
                    </a>
                  </td>
                  <td>{edge.calls}</td>
                  <td class="rate">{formatRate(edge.calls / seconds)}</td>
                  <td class="errors">
                    <a href={search(edge.child, { errors: 'on' })}>{formatShare(edge.errors / edge.calls)}</a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </Layout>
  )
}
