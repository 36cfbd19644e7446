import { afterAll, beforeAll, expect, test } from 'bun:test'
import type { LoadSummary } from '../../scripts/load/run.ts'
import { type RunningSystem, startSystem } from '../support/system.ts'

let system: RunningSystem

beforeAll(async () => {
  system = await startSystem('bun', { OTEL_SDK_DISABLED: 'true' })
  // A fast machine could sell the starting stock (drizzle/inventory/0001_seed_catalogue.sql) out in two seconds;
  // refusals would then be right, but not plain.
  const inventory = system.database('inventory')
  await inventory.execute("update products set available = 1000000 where id in ('sku-cable', 'sku-desk-mat')")
  inventory.close()
})
afterAll(() => system?.stop())

test('bun run load places orders for two seconds and sums them up in JSON', async () => {
  const load = Bun.spawn(
    [
      process.execPath,
      'run',
      'load',
      '--url',
      system.gateway,
      '--concurrency',
      '4',
      '--duration',
      '2s',
      '--mix',
      'sku-cable:2,sku-desk-mat:1',
      '--json',
    ],
    { cwd: new URL('../../', import.meta.url).pathname, stdout: 'pipe', stderr: 'pipe' },
  )
  const [stdout, stderr, code] = await Promise.all([
    new Response(load.stdout).text(),
    new Response(load.stderr).text(),
    load.exited,
  ])
  expect(code, stderr).toBe(0)
  const summary: LoadSummary = JSON.parse(stdout)
  expect(summary.model).toEqual({ kind: 'closed', concurrency: 4 })
  expect(summary.requests).toBeGreaterThan(0)
  expect(Object.values(summary.outcomes).reduce((sum, outcome) => sum + outcome.count, 0)).toBe(summary.requests)
  expect(Object.keys(summary.outcomes)).toEqual(['201'])
  expect(summary.errors).toBe(0)
  expect(summary.elapsedMs).toBeGreaterThanOrEqual(2000)
  expect(summary.latencyMs.p50).toBeGreaterThan(0)
  expect(summary.latencyMs.p99).toBeGreaterThanOrEqual(summary.latencyMs.p50)
})

test('bun run load refuses a gateway off loopback', async () => {
  const load = Bun.spawn([process.execPath, 'run', 'load', '--url', 'http://192.0.2.1:8080', '--duration', '1s'], {
    cwd: new URL('../../', import.meta.url).pathname,
    stdout: 'pipe',
    stderr: 'pipe',
  })
  expect(await load.exited).toBe(2)
  expect(await new Response(load.stderr).text()).toContain('only sent to loopback')
})
