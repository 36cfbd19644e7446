import { AppError } from '../../shared/errors.ts'
import type { CollectorDb } from '../store.ts'
import { jsonRows } from './sql.ts'

/** A stretch of time in microseconds since the epoch, both ends included (as `findDependencies` takes it). */
export interface TimeWindow {
  start: number
  end: number
}

/** The windows the services and map pages offer, Go durations as the search's lookback takes them. */
export const WINDOWS = [
  ['5m', 'last 5 minutes', 300],
  ['15m', 'last 15 minutes', 900],
  ['1h', 'last hour', 3600],
  ['6h', 'last 6 hours', 21_600],
  ['24h', 'last 24 hours', 86_400],
] as const
export type WindowName = (typeof WINDOWS)[number][0]

/** The window a page asked for (`?window=`), the last hour by default, ending now; any other value is a 400. */
export function readWindow(asked: string | undefined, now = Date.now()): { name: WindowName; window: TimeWindow } {
  const [name, , seconds] = readChoice('window', asked, WINDOWS, '1h')
  const end = now * 1000
  return { name, window: { start: end - seconds * 1_000_000, end } }
}

/**
 * The entry of `choices` (each led by its name) that a page's parameter asked for, `fallback`'s when it asked for
 * none; a name not among them is a 400 that lists them, as a bad search is.
 */
export function readChoice<C extends readonly [string, ...unknown[]]>(
  parameter: string,
  asked: string | undefined,
  choices: readonly C[],
  fallback: C[0],
): C {
  const name = asked || fallback
  const choice = choices.find(([value]) => value === name)
  if (!choice) {
    const names = choices.map(([value]) => value).join(', ')
    throw new AppError(400, 'invalid_request', `${parameter}: one of ${names}, not ${asked}`)
  }
  return choice
}

/**
 * Cuts a window into consecutive windows of at most about `spans` spans each, by walking the start-time index, so
 * that a query over each holds the event loop for a bounded time however busy the window was.
 */
export async function sliceWindow(db: CollectorDb, window: TimeWindow, spans: number): Promise<TimeWindow[]> {
  const slices: TimeWindow[] = []
  let start = window.start
  for (;;) {
    const [next] = await jsonRows<number>(
      db,
      `select start_time as row from spans where start_time >= ? and start_time <= ? order by start_time limit 1 offset ?`,
      [start, window.end, spans],
    )
    if (next === undefined) {
      slices.push({ start, end: window.end })
      return slices
    }
    // Spans that started in one microsecond stay in one slice, however many there are.
    const end = Math.max(start, next - 1)
    slices.push({ start, end })
    start = end + 1
  }
}
