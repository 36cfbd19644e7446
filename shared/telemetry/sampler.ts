import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  type Sampler,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base'
import type { SamplerName } from './config.ts'

/** Builds the sampler named by OTEL_TRACES_SAMPLER (already checked by config.ts), `ratio` from its argument. */
export function samplerFromConfig(name: SamplerName, ratio: number): Sampler {
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler()
    case 'always_off':
      return new AlwaysOffSampler()
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio)
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() })
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) })
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() })
  }
}

/**
 * Whether the sampler `name` never samples a span whose parent is valid and not sampled: the parent-based ones (their
 * default for such a parent is off, local or remote) and `always_off`. The tracer then decides such spans itself.
 */
export function unsampledParentDecides(name: SamplerName): boolean {
  return name === 'always_off' || name.startsWith('parentbased_')
}
