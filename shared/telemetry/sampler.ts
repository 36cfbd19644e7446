import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  type Sampler,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base'

/** Builds the sampler named by OTEL_TRACES_SAMPLER; unknown names fall back to the spec default. */
export function samplerFromConfig(name: string, arg: string | undefined): Sampler {
  const ratio = ratioFrom(arg)
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
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() })
  }
}

function ratioFrom(arg: string | undefined): number {
  const ratio = Number(arg)
  return arg !== undefined && Number.isFinite(ratio) && ratio >= 0 && ratio <= 1 ? ratio : 1
}
