import { describe, expect, test } from 'bun:test'
import {
  asksForHelp,
  type CommandSpec,
  chosenCommand,
  helpText,
  parseCommandLine,
  UsageError,
} from '../../scripts/cli.ts'

const SPEC = {
  name: 'demo',
  synopsis: '<command> [options]',
  summary: 'Does demo things.',
  commands: { run: 'runs it', 'show <id>': 'shows one' },
  maxPositionals: 2,
  options: {
    url: { type: 'string', value: 'URL', default: 'http://localhost:1', description: 'where' },
    limit: { type: 'string', value: 'N', defaultText: '20 unless --all', description: 'how many' },
    name: { type: 'string', value: 'NAME', description: 'who' },
    json: { type: 'boolean', description: 'as JSON' },
  },
  examples: ['bun run demo run --json'],
  notes: ['Needs nothing.'],
} as const satisfies CommandSpec

/** The message of the UsageError `work` throws. */
function usageErrorOf(work: () => unknown): string {
  try {
    work()
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError)
    return (error as Error).message
  }
  throw new Error('no UsageError')
}

describe('parseCommandLine', () => {
  test('values with their defaults, booleans false when absent, positionals in order', () => {
    expect(parseCommandLine(SPEC, ['run'])).toEqual({
      values: { url: 'http://localhost:1', json: false },
      positionals: ['run'],
    })
    expect(parseCommandLine(SPEC, ['show', 'abc', '--name=x', '--json', '--limit', '5']).values).toEqual({
      url: 'http://localhost:1',
      json: true,
      name: 'x',
      limit: '5',
    })
  })

  test.each([
    [['--bogus'], 'unknown option --bogus'],
    [['-x'], 'unknown option -x'],
    [['--url'], '--url needs a value'],
    [['--json=yes'], '--json takes no value, got --json=yes'],
    [['--url', '--json'], '--url needs a value before --json (write --url=--json if that is the value)'],
    [['run', 'a', 'b'], 'unexpected argument b'],
  ])('%j is refused with one line: %s', (argv, message) => {
    const got = usageErrorOf(() => parseCommandLine(SPEC, argv))
    expect(got).toBe(message)
    expect(got).not.toContain('\n')
  })

  test('a value that starts with a dash is taken when written with =', () => {
    expect(parseCommandLine(SPEC, ['--name=-x']).values.name).toBe('-x')
  })

  test('arguments after -- are positionals, whatever they look like', () => {
    expect(parseCommandLine(SPEC, ['show', '--', '--json']).positionals).toEqual(['show', '--json'])
  })

  test('no positionals unless the spec allows them', () => {
    const plain = { name: 'plain', summary: 's', options: {}, examples: [] } satisfies CommandSpec
    expect(usageErrorOf(() => parseCommandLine(plain, ['extra']))).toBe('unexpected argument extra')
  })
})

describe('help', () => {
  test('--help or -h anywhere before --, even beside a mistake', () => {
    expect(asksForHelp(['--help'])).toBe(true)
    expect(asksForHelp(['run', '--bogus', '-h'])).toBe(true)
    expect(asksForHelp(['run', '--', '--help'])).toBe(false)
    expect(asksForHelp(['run'])).toBe(false)
  })

  test('usage, summary, commands, options with defaults, examples and notes', () => {
    expect(helpText(SPEC)).toBe(
      [
        'Usage: bun run demo <command> [options]',
        '',
        'Does demo things.',
        '',
        'Commands:',
        '  run        runs it',
        '  show <id>  shows one',
        '',
        'Options:',
        '  --url URL    where (default: http://localhost:1)',
        '  --limit N    how many (default: 20 unless --all)',
        '  --name NAME  who',
        '  --json       as JSON',
        '  -h, --help   print this help',
        '',
        'Examples:',
        '  bun run demo run --json',
        '',
        'Needs nothing.',
        '',
      ].join('\n'),
    )
  })
})

describe('chosenCommand', () => {
  test('the first word of a command the spec lists', () => {
    expect(chosenCommand(SPEC, ['show', 'abc'])).toBe('show')
    expect(usageErrorOf(() => chosenCommand(SPEC, ['shows']))).toBe('unknown command shows')
    expect(usageErrorOf(() => chosenCommand(SPEC, []))).toBe('name a command: run, show')
  })
})
