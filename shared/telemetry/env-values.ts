/** Environment as a plain record: `process.env` on Bun and Deno, the env bindings on Workers. */
export type Env = Record<string, string | undefined>

/** Where a value that makes no sense is reported: one line, then the default is used. */
export type Warn = (message: string) => void

/**
 * Reads single OTEL_* values the way the SDK environment spec asks: empty means unset, names are tried in order (the
 * per-signal variable before the general one: the first one set wins), and a value that makes no sense is one
 * warning and the default, never a throw.
 */
export class EnvValues {
  constructor(
    private readonly env: Env,
    private readonly warn: Warn,
  ) {}

  /** The first of `names` that is set (trimmed, non-empty), with its name for messages. */
  first(...names: string[]): { name: string; value: string } | undefined {
    for (const name of names) {
      const value = this.env[name]?.trim()
      if (value) return { name, value }
    }
    return undefined
  }

  string(...names: string[]): string | undefined {
    return this.first(...names)?.value
  }

  /** `true` or `false` in any case; anything else is false with a warning, as the spec says. */
  boolean(name: string): boolean {
    const found = this.first(name)
    if (!found) return false
    const value = found.value.toLowerCase()
    if (value !== 'true' && value !== 'false') this.invalid(found, '`true` or `false`', 'false')
    return value === 'true'
  }

  /** An integer of at least `min`; otherwise `fallback`, with a warning when a value was given. */
  integer(names: string[], fallback: number, { min = 0 } = {}): number {
    const found = this.first(...names)
    if (!found) return fallback
    const number = Number(found.value)
    if (!Number.isInteger(number) || number < min) {
      this.invalid(found, `an integer ≥ ${min}`, fallback === Number.POSITIVE_INFINITY ? 'no limit' : String(fallback))
      return fallback
    }
    return number
  }

  /** A number in [min, max]; otherwise `fallback`, with a warning when a value was given. */
  number(names: string[], fallback: number, { min, max }: { min: number; max: number }): number {
    const found = this.first(...names)
    if (!found) return fallback
    const number = Number(found.value)
    if (!Number.isFinite(number) || number < min || number > max) {
      this.invalid(found, `a number from ${min} to ${max}`, String(fallback))
      return fallback
    }
    return number
  }

  /** One of `allowed` (lower-cased); otherwise `fallback`, with a warning when a value was given. */
  choice<T extends string>(names: string[], allowed: readonly T[], fallback: T): T {
    const found = this.first(...names)
    if (!found) return fallback
    const value = found.value.toLowerCase() as T
    if (allowed.includes(value)) return value
    this.invalid(found, allowed.join(', '), fallback)
    return fallback
  }

  /**
   * `key=value,…` with percent-encoded values (W3C baggage format, as OTEL_RESOURCE_ATTRIBUTES and
   * OTEL_EXPORTER_OTLP_HEADERS use it), every name in `names` merged, later names winning per key. Malformed entries
   * are left out with one warning per variable that names their positions, never their values (headers carry API
   * keys). `accept` may refuse an entry too, e.g. one that is no valid HTTP header.
   */
  keyValues(names: string[], accept: (key: string, value: string) => boolean = () => true): Record<string, string> {
    const result: Record<string, string> = {}
    for (const name of names) {
      const raw = this.string(name)
      if (!raw) continue
      const bad: number[] = []
      raw.split(',').forEach((entry, index) => {
        if (!entry.trim()) return
        const separator = entry.indexOf('=')
        const key = entry.slice(0, Math.max(separator, 0)).trim()
        const value = decodePercent(entry.slice(separator + 1).trim())
        if (separator <= 0 || !key || value === undefined || !accept(key, value)) bad.push(index + 1)
        else result[key] = value
      })
      if (bad.length > 0) {
        const which = bad.length === 1 ? `entry ${bad[0]} is` : `entries ${bad.join(', ')} are`
        this.warn(`${name}: ${which} not a valid key=value pair (percent-encoded value); left out`)
      }
    }
    return result
  }

  private invalid(found: { name: string; value: string }, expected: string, using: string): void {
    this.warn(`${found.name}=${JSON.stringify(found.value)} is not valid (expected ${expected}); using ${using}`)
  }
}

function decodePercent(value: string): string | undefined {
  try {
    return decodeURIComponent(value)
  } catch {
    return undefined
  }
}
