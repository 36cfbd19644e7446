import { expect, test } from 'bun:test'
import { criticalPath } from '../../collector/analysis/critical-path.ts'
import { buildTree } from '../../collector/analysis/tree.ts'
import type { JaegerTrace } from '../../collector/jaeger.ts'

// The trace analysis the viewer and the CLI share: the critical path as Jaeger computes it, and trees of any shape.

interface Shape {
  id: string
  parent?: string
  at: number
  us: number
}

function trace(spans: Shape[]): JaegerTrace {
  return {
    traceID: 't',
    processes: { p1: { serviceName: 'svc', tags: [] } },
    warnings: null,
    spans: spans.map((span) => ({
      traceID: 't',
      spanID: span.id,
      operationName: span.id,
      references: span.parent ? [{ refType: 'CHILD_OF', traceID: 't', spanID: span.parent }] : [],
      flags: 1,
      startTime: span.at,
      duration: span.us,
      tags: [],
      logs: [],
      processID: 'p1',
      warnings: null,
    })),
  }
}

const path = (spans: Shape[]) =>
  criticalPath(buildTree(trace(spans))).map((step) => [step.node.span.spanID, step.selfTime])

test('of two overlapping siblings only the one that finished last is on the critical path', () => {
  // check_inventory and calculate_price run in parallel; calculate_price finishes last, so check_inventory waits
  // on nothing the order waits on.
  const steps = path([
    { id: 'order', at: 0, us: 100 },
    { id: 'check_inventory', parent: 'order', at: 10, us: 80 },
    { id: 'calculate_price', parent: 'order', at: 20, us: 75 },
    { id: 'payment', parent: 'order', at: 96, us: 2 },
  ])
  expect(steps).toEqual([
    ['order', 2 + 1 + 20],
    ['calculate_price', 75],
    ['payment', 2],
  ])
})

test('the sibling that ended before the path one started is on the path, the gap is the parent’s own time', () => {
  expect(
    path([
      { id: 'root', at: 0, us: 100 },
      { id: 'first', parent: 'root', at: 0, us: 30 },
      { id: 'overlapping', parent: 'root', at: 25, us: 20 },
      { id: 'last', parent: 'root', at: 40, us: 60 },
    ]),
  ).toEqual([
    ['root', 10],
    ['first', 30],
    ['last', 60],
  ])
})

test('children are clipped to their parent, and back-to-back children are both on the path', () => {
  const steps = path([
    { id: 'root', at: 100, us: 100 },
    { id: 'early', parent: 'root', at: 50, us: 100 },
    { id: 'late', parent: 'root', at: 150, us: 200 },
  ])
  expect(steps).toEqual([
    ['root', 0],
    ['early', 50],
    ['late', 50],
  ])
})

test('self times on the path add up to the root’s duration, with sections latest first', () => {
  const steps = criticalPath(
    buildTree(
      trace([
        { id: 'root', at: 0, us: 1000 },
        { id: 'a', parent: 'root', at: 100, us: 300 },
        { id: 'a1', parent: 'a', at: 150, us: 100 },
        { id: 'b', parent: 'root', at: 500, us: 400 },
      ]),
    ),
  )
  expect(steps.reduce((sum, step) => sum + step.selfTime, 0)).toBe(1000)
  expect(steps[0]!.sections).toEqual([
    { start: 900, end: 1000 },
    { start: 400, end: 500 },
    { start: 0, end: 100 },
  ])
})

test('a chain of 50k spans and a fan-out of 50k build and walk in linear time, without overflowing the stack', () => {
  const chain: Shape[] = [{ id: 's0', at: 0, us: 100_000 }]
  for (let index = 1; index < 50_000; index++)
    chain.push({ id: `s${index}`, parent: `s${index - 1}`, at: index, us: 100_000 - 2 * index })
  const fan: Shape[] = [{ id: 'root', at: 0, us: 100_000 }]
  for (let index = 1; index < 50_000; index++) fan.push({ id: `f${index}`, parent: 'root', at: index, us: 50 })
  for (const spans of [chain, fan]) {
    const started = performance.now()
    const tree = buildTree(trace(spans))
    const steps = criticalPath(tree)
    expect(performance.now() - started).toBeLessThan(1000)
    expect(tree.nodes).toHaveLength(50_000)
    expect(steps.reduce((sum, step) => sum + step.selfTime, 0)).toBe(100_000)
  }
  expect(buildTree(trace(chain)).nodes.at(-1)!.depth).toBe(49_999)
})

test('spans whose parents loop back are cut at the loop’s earliest span, which becomes a root', () => {
  const tree = buildTree(
    trace([
      { id: 'own', parent: 'own', at: 0, us: 50 },
      { id: 'late', parent: 'early', at: 10, us: 10 },
      { id: 'early', parent: 'late', at: 5, us: 20 },
    ]),
  )
  expect(tree.roots.map((root) => root.span.spanID)).toEqual(['own', 'early'])
  expect(tree.nodes.map((node) => [node.span.spanID, node.depth])).toEqual([
    ['own', 0],
    ['early', 0],
    ['late', 1],
  ])
})
