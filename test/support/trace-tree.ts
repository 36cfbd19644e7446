import { expect } from 'bun:test'
import type { FlatSpan } from './otlp-json.ts'

/** Reads a trace as a tree: each step asserts that exactly one child matches, so a wrong parent link fails loudly. */
export function traceTree(trace: FlatSpan[]) {
  const roots = trace.filter((span) => !span.parentSpanId)
  expect(roots.map((span) => `${span.service}/${span.name}`)).toHaveLength(1)
  const childrenOf = (span: FlatSpan) => trace.filter((candidate) => candidate.parentSpanId === span.spanId)
  return {
    root: roots[0]!,
    childrenOf,
    /** The one child of `parent` in `service` named `name` (a client span: its method). */
    child(parent: FlatSpan, service: string, name: string): FlatSpan {
      const matches = childrenOf(parent).filter((span) => span.service === service && span.name === name)
      if (matches.length !== 1) {
        const seen = childrenOf(parent).map((span) => `${span.service}/${span.name}`)
        throw new Error(
          `expected one ${service}/${name} under ${parent.service}/${parent.name}, found ${matches.length}; children: ${seen.join(', ')}`,
        )
      }
      return matches[0]!
    },
    /** Follows a path of `service/name` steps from `from`, returning the last span. */
    path(from: FlatSpan, ...steps: string[]): FlatSpan {
      return steps.reduce((parent, step) => {
        const [service, ...name] = step.split('/')
        return this.child(parent, service!, name.join('/'))
      }, from)
    },
  }
}
