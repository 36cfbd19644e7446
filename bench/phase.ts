import type { LoadModel } from '../scripts/load/options.ts'
import { type LoadRun, runLoad } from '../scripts/load/run.ts'

/** Closed-model users enough to keep both cores busy: more only lengthens the queues. */
export const SATURATION_CONCURRENCY = 16

/** One load phase against a gateway: plain orders over the whole catalogue, no faults, bounded in time and count. */
export function loadPhase(gateway: string, model: LoadModel, durationMs: number): Promise<LoadRun> {
  return runLoad({ url: gateway, model, durationMs, maxRequests: 200_000, mix: [], faults: [] })
}

export const saturated: LoadModel = { kind: 'closed', concurrency: SATURATION_CONCURRENCY }
