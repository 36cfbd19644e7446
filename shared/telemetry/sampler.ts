import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  type Sampler,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base'
import type { SamplerName } from './config.ts'

/** The sampler named by OTEL_TRACES_SAMPLER, and what the tracer may take for granted of it. */
export interface ConfiguredSampler {
  sampler: Sampler
  /**
   * The sampler does not record a span whose parent is valid and not sampled (it returns NOT_RECORD): `always_off`,
   * and the parent-based ones built here, whose delegates for such a parent, local or remote, are the defaults (off).
   */
  unsampledParentDecides: boolean
}

/** Builds the sampler named by OTEL_TRACES_SAMPLER (already checked by config.ts), `ratio` from its argument. */
export function samplerFromConfig(name: SamplerName, ratio: number): ConfiguredSampler {
  switch (name) {
    case 'always_on':
      return { sampler: new AlwaysOnSampler(), unsampledParentDecides: false }
    case 'always_off':
      return { sampler: new AlwaysOffSampler(), unsampledParentDecides: true }
    case 'traceidratio':
      return { sampler: new TraceIdRatioBasedSampler(ratio), unsampledParentDecides: false }
    case 'parentbased_always_off':
      return parentBased(new AlwaysOffSampler())
    case 'parentbased_traceidratio':
      return parentBased(new TraceIdRatioBasedSampler(ratio))
    case 'parentbased_always_on':
      return parentBased(new AlwaysOnSampler())
  }
}

/** A parent-based sampler with the default delegates: a parent's decision is followed, sampled or not. */
function parentBased(root: Sampler): ConfiguredSampler {
  return { sampler: new ParentBasedSampler({ root }), unsampledParentDecides: true }
}
