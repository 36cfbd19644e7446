import { numberSetting } from '../shared/config.ts'
import type { Env } from '../shared/telemetry/config.ts'

/** The collector's documented defaults; each one is overridden by the variable named beside it. */
export interface CollectorSettings {
  /** `COLLECTOR_MAX_SPANS`: past this many stored spans the oldest are pruned. */
  maxSpans: number
  /** `COLLECTOR_MAX_AGE_HOURS`: spans that started longer ago are pruned. */
  maxAgeHours: number
  /** `COLLECTOR_MAX_BODY_BYTES`: cap of a request body after decompression (the OTLP spec's 64 MiB), else 413. */
  maxBodyBytes: number
}

export const DEFAULT_SETTINGS: CollectorSettings = {
  maxSpans: 1_000_000,
  maxAgeHours: 24,
  maxBodyBytes: 64 * 1024 * 1024,
}

export function collectorSettings(env: Env): CollectorSettings {
  return {
    maxSpans: numberSetting(env, 'COLLECTOR_MAX_SPANS', DEFAULT_SETTINGS.maxSpans),
    maxAgeHours: numberSetting(env, 'COLLECTOR_MAX_AGE_HOURS', DEFAULT_SETTINGS.maxAgeHours),
    maxBodyBytes: numberSetting(env, 'COLLECTOR_MAX_BODY_BYTES', DEFAULT_SETTINGS.maxBodyBytes),
  }
}
