// The command line of every `bun run <script>`: one description of its options gives the parsing, the `--help`
// text and the errors, so each script answers `--help`, an unknown flag and a bad value the same way.
import { parseArgs } from 'node:util'

export interface StringOption {
  type: 'string'
  /** What the value is, in the help: `--url URL`. */
  value: string
  description: string
  /** Applied when the option is absent, and shown in the help. */
  default?: string
  /** Shown in the help when what applies is not a fixed value (an environment variable, another option). */
  defaultText?: string
  short?: string
}

export interface BooleanOption {
  type: 'boolean'
  description: string
  short?: string
}

export type Option = StringOption | BooleanOption
export type Options = Record<string, Option>

export interface CommandSpec<O extends Options = Options> {
  /** The script as `bun run` names it: `load`, `bench:collector`. */
  name: string
  /** What follows the name in the usage line; `[options]` when left out. */
  synopsis?: string
  summary: string
  /** Subcommands or arguments with what they do: `show <traceId>` → `the trace tree`. */
  commands?: Record<string, string>
  options: O
  /** Positional arguments accepted at most (0 when left out). */
  maxPositionals?: number
  examples: string[]
  /** Anything else the reader needs: where a default comes from, what must be running. */
  notes?: string[]
}

/** Booleans are false when absent and strings with a default always have a value; other strings may be absent. */
export type Values<O extends Options> = {
  [K in keyof O as O[K] extends AlwaysSet ? K : never]: O[K] extends BooleanOption ? boolean : string
} & { [K in keyof O as O[K] extends AlwaysSet ? never : K]?: string }

type AlwaysSet = BooleanOption | { default: string }

export interface CommandLine<O extends Options> {
  values: Values<O>
  positionals: string[]
}

/** A mistake on the command line: the message says what is wrong, in one line; the usage follows it. */
export class UsageError extends Error {
  override readonly name: string = 'UsageError'
}

const HELP_FLAGS = ['--help', '-h']

/**
 * The arguments as the spec describes them; throws UsageError for an unknown option, a missing value, a value given
 * to a flag or too many arguments. Pure, for tests and for scripts that check values further before running.
 */
export function parseCommandLine<const O extends Options>(spec: CommandSpec<O>, argv: string[]): CommandLine<O> {
  // Not strict: its errors are worded for a program's author; the tokens let us word them for the user.
  const { values, positionals, tokens } = parseArgs({
    args: argv,
    options: parseArgsOptions(spec.options),
    allowPositionals: true,
    strict: false,
    tokens: true,
  })
  for (const token of tokens) if (token.kind === 'option') checkOption(spec.options, token)
  const max = spec.maxPositionals ?? 0
  if (positionals.length > max) throw new UsageError(`unexpected argument ${positionals[max]}`)
  return { values: values as Values<O>, positionals }
}

/** The subcommand the first argument names, one of the spec's `commands` (by first word); else a UsageError. */
export function chosenCommand(spec: CommandSpec, positionals: string[]): string {
  const names = Object.keys(spec.commands ?? {}).map((command) => command.split(' ')[0]!)
  const [name] = positionals
  if (name === undefined) throw new UsageError(`name a command: ${names.join(', ')}`)
  if (!names.includes(name)) throw new UsageError(`unknown command ${name}`)
  return name
}

/**
 * The process's command line: `--help` prints the help and exits 0; a mistake, found by the spec or by `parse`
 * (which throws UsageError for a bad value), prints one line saying what is wrong and the usage, and exits 2.
 */
export function readCommandLine<const O extends Options>(spec: CommandSpec<O>): CommandLine<O>
export function readCommandLine<T>(spec: CommandSpec, parse: (argv: string[]) => T): T
export function readCommandLine<T>(spec: CommandSpec, parse?: (argv: string[]) => T): T | CommandLine<Options> {
  const argv = process.argv.slice(2)
  if (asksForHelp(argv)) {
    process.stdout.write(helpText(spec))
    process.exit(0)
  }
  try {
    return parse ? parse(argv) : parseCommandLine(spec, argv)
  } catch (error) {
    if (error instanceof UsageError) exitWithUsage(spec, error.message)
    throw error
  }
}

/** For a mistake found after parsing: the same one line, the usage, and exit 2. */
export function exitWithUsage(spec: CommandSpec, message: string): never {
  process.stderr.write(`${spec.name}: ${message}\n${helpText(spec)}`)
  process.exit(2)
}

/**
 * Runs the script's work. A failure it can meet in normal use (the gateway down, a trace not found) is one line
 * and exit 1 rather than a stack; a UsageError is handled as on the command line.
 */
export async function runCommand(spec: CommandSpec, work: () => Promise<void>): Promise<void> {
  try {
    await work()
  } catch (error) {
    if (error instanceof UsageError) exitWithUsage(spec, error.message)
    process.stderr.write(`${spec.name}: ${error instanceof Error ? error.message : String(error)}\n`)
    process.exit(1)
  }
}

/** `--help` or `-h` anywhere before `--` wins over every other argument, mistaken or not. */
export function asksForHelp(argv: string[]): boolean {
  const end = argv.indexOf('--')
  return (end < 0 ? argv : argv.slice(0, end)).some((arg) => HELP_FLAGS.includes(arg))
}

/** Usage, what it does, commands, options with their defaults, examples, notes. */
export function helpText(spec: CommandSpec): string {
  const sections = [`Usage: bun run ${spec.name} ${spec.synopsis ?? '[options]'}\n\n${spec.summary}`]
  if (spec.commands) sections.push(`Commands:\n${columns(Object.entries(spec.commands))}`)
  const options = Object.entries(spec.options).map(([name, option]) => optionRow(name, option))
  options.push(['-h, --help', 'print this help'])
  sections.push(`Options:\n${columns(options)}`)
  sections.push(`Examples:\n${spec.examples.map((example) => `  ${example}`).join('\n')}`)
  if (spec.notes?.length) sections.push(spec.notes.join('\n'))
  return `${sections.join('\n\n')}\n`
}

function optionRow(name: string, option: Option): [string, string] {
  const flag = `${option.short ? `-${option.short}, ` : ''}--${name}${option.type === 'string' ? ` ${option.value}` : ''}`
  const shown = option.type === 'string' ? (option.defaultText ?? option.default) : undefined
  return [flag, shown === undefined ? option.description : `${option.description} (default: ${shown})`]
}

/** Two aligned columns, indented. */
function columns(rows: [string, string][]): string {
  const width = Math.max(...rows.map(([left]) => left.length))
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`).join('\n')
}

function parseArgsOptions(options: Options) {
  const config: Record<string, { type: 'string' | 'boolean'; short?: string; default?: string | boolean }> = {
    help: { type: 'boolean', short: 'h' },
  }
  // parseArgs refuses a `short` or `default` key that is present but undefined.
  for (const [name, option] of Object.entries(options)) {
    const entry: (typeof config)[string] = { type: option.type }
    if (option.short) entry.short = option.short
    const fallback = option.type === 'boolean' ? false : option.default
    if (fallback !== undefined) entry.default = fallback
    config[name] = entry
  }
  return config
}

interface OptionToken {
  name: string
  rawName: string
  value?: string
  inlineValue?: boolean
}

function checkOption(options: Options, token: OptionToken): void {
  if (token.name === 'help') return
  const option = options[token.name]
  if (!option) throw new UsageError(`unknown option ${token.rawName}`)
  if (option.type === 'boolean' && token.value !== undefined)
    throw new UsageError(`${token.rawName} takes no value, got ${token.rawName}=${token.value}`)
  if (option.type === 'string' && token.value === undefined) throw new UsageError(`${token.rawName} needs a value`)
  // `--url --json` would take `--json` as the URL: more likely a forgotten value than a URL.
  if (option.type === 'string' && !token.inlineValue && token.value!.startsWith('-'))
    throw new UsageError(
      `${token.rawName} needs a value before ${token.value} (write ${token.rawName}=${token.value} if that is the value)`,
    )
}
