import { otlpRequest } from './payloads.ts'

type FixtureSpans = Parameters<typeof otlpRequest>[1]

const SERVICES = ['gateway', 'order', 'inventory', 'payment', 'shipping', 'search']

/**
 * A trace of `count` spans shaped like a big batch job: a root fanning out to 2–8 children a span, breadth first
 * (about eight levels for 50k spans), children spread over their parent's time and sometimes overlapping, six
 * services, a few attributes each, an event on every tenth span and an error on every 500th. Deterministic.
 */
export function bigTraceSpans(count: number): FixtureSpans {
  let seed = 42
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648
    return seed / 2_147_483_648
  }
  const id = (index: number) => `e${index.toString(16).padStart(15, '0')}`
  const spans: FixtureSpans = [{ id: id(0), service: SERVICES[0]!, name: 'batch.import', at: 0, ms: 60_000 }]
  for (let parent = 0; spans.length < count; parent++) {
    const { at, ms, id: parentId } = spans[parent]!
    const depth = Math.round(Math.log(parent + 1) / Math.log(5))
    const children = Math.min(count - spans.length, 2 + Math.floor(random() * 7))
    for (let child = 0; child < children; child++) {
      const index = spans.length
      const slot = ms / children
      const start = at + slot * child + random() * slot * 0.2
      spans.push({
        id: id(index),
        parent: parentId,
        service: SERVICES[(depth + child) % SERVICES.length]!,
        name: `step_${depth}_${child}`,
        at: start,
        ms: Math.min(at + ms - start, slot * (0.5 + random())),
        error: index % 500 === 0 ? 'STEP_FAILED' : undefined,
        attributes: { 'job.index': index, 'job.kind': child % 2 ? 'fetch' : 'write', 'db.system': 'sqlite' },
        events: index % 10 === 0 ? [{ name: 'checkpoint', at: start + 0.1, attributes: { index } }] : undefined,
      })
    }
  }
  return spans
}

export const bigTrace = (traceId: string, count: number, startNanos?: bigint) =>
  otlpRequest(traceId, bigTraceSpans(count), startNanos)
