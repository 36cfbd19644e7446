// What every part of `bun run bench` returns, and how it becomes markdown. The collector and runtime work add their
// parts (bench/collector.ts, bench/bundle-size.ts) by exporting a function of type SectionRun.

export type Cell = string | number

export interface Table {
  columns: string[]
  rows: Cell[][]
}

/** A row of the table: what was measured, against its goal. */
export interface Goal {
  /** Where the row goes in the summary: see GOAL_ORDER in bench/index.ts. */
  id: string
  measure: string
  measured: string
  goal: string
  /** Undefined when the run could not tell (the part failed, or measured nothing). */
  met?: boolean
}

export interface SectionResult {
  tables: Table[]
  /** Rows for the summary at the top of BENCHMARKS.md, in the order of the table. */
  goals?: Goal[]
  /** Short lines under the tables: how it was measured, what to read in it. */
  notes?: string[]
  /** The figures for bench/results.json. */
  data: unknown
}

export interface SectionContext {
  log(message: string): void
  /** `bun run bench --quick`: every phase shortened, to check that the bench works, not for figures. */
  quick: boolean
}

export type SectionRun = (context: SectionContext) => Promise<SectionResult>

/** Columns of figures are right-aligned, columns of words left-aligned. */
export function markdownTable({ columns, rows }: Table): string {
  const escapeCell = (cell: Cell) => String(cell).replaceAll('|', '\\|')
  const numeric = (column: number) => rows.every((row) => /^[\d.,\s×%–→()-]*$|^n\/a$/.test(String(row[column] ?? '')))
  return [
    `| ${columns.map(escapeCell).join(' | ')} |`,
    `| ${columns.map((_, index) => (numeric(index) ? '---:' : '---')).join(' | ')} |`,
    ...rows.map((row) => `| ${row.map(escapeCell).join(' | ')} |`),
  ].join('\n')
}

/** A figure with three significant digits, no trailing noise: 0.123, 12.3, 1234. */
export function figure(value: number): string {
  if (!Number.isFinite(value)) return 'n/a'
  if (Math.abs(value) >= 100) return value.toFixed(0)
  return Number(value.toPrecision(3)).toString()
}

/** The exact `q`-quantile (0..1) of a few samples: the value at rank ⌊q·n⌋ of the sorted samples. */
export function quantile(samples: number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
}

/** A ratio as `0.93×`. */
export function ratio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : 'n/a'
}
