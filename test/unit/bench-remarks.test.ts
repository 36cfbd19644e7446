import { describe, expect, test } from 'bun:test'
import { failureLines } from '../../bench/tracing-overhead.ts'

// What `bun run dev` prints, as the bench keeps it: coloured prefixes, chunks that split lines anywhere.
const printed = [
  '\x1b[36mgateway   |\x1b[0m listening on 127.0.0.1:4000\n\x1b[33morder     |\x1b[0m order service is unav',
  'ailable: TypeError: fetch failed\n\x1b[35mpayment   |\x1b[0m POST /payments failed: LibsqlError: SQLITE_BUSY\n',
  '\x1b[35mpayment   |\x1b[0m     at execute (client.ts:12:3)\n',
  '\x1b[33morder     |\x1b[0m order service is unavailable: TypeError: fetch failed\n',
  '\x1b[36mgateway   |\x1b[0m order service answered 502\n',
]

describe("the bench's remark on error answers", () => {
  test('names the distinct lines in which the services said why a call failed, without colours or stacks', () => {
    expect(failureLines(printed)).toEqual([
      'order     | order service is unavailable: TypeError: fetch failed',
      'payment   | POST /payments failed: LibsqlError: SQLITE_BUSY',
      'gateway   | order service answered 502',
    ])
    expect(failureLines(printed, 1)).toHaveLength(1)
    expect(failureLines(['gateway | listening\n'])).toEqual([])
  })
})
