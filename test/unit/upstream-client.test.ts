import { afterAll, expect, test } from 'bun:test'
import { unwrap } from '../../shared/client.ts'
import { AppError } from '../../shared/errors.ts'
import { consoleCalls } from '../support/console.ts'

// A real server standing in for inventory: one route per kind of answer.
const server = Bun.serve({
  port: 0,
  fetch(request) {
    const path = new URL(request.url).pathname
    if (path === '/conflict')
      return Response.json(
        { error: { code: 'insufficient_inventory', message: 'not enough' }, traceId: '' },
        { status: 409 },
      )
    return new Response('bad gateway', { status: 502 })
  },
})
afterAll(() => server.stop(true))

/** What `unwrap` throws for the call, and what it logged meanwhile. */
async function outcome(call: Promise<Response>) {
  const { result: error, calls: lines } = await consoleCalls('warn', () =>
    unwrap('inventory', call).catch((thrown: unknown) => thrown),
  )
  return { error: error as AppError, lines }
}

test('a service that cannot be reached is a 503 to the caller, and a log line with the cause', async () => {
  const closed = Bun.serve({ port: 0, fetch: () => new Response() })
  const port = closed.port
  closed.stop(true)
  const { error, lines } = await outcome(fetch(`http://127.0.0.1:${port}/`))
  expect(error).toBeInstanceOf(AppError)
  expect([error.status, error.code, error.message]).toEqual([
    503,
    'upstream_unavailable',
    'inventory service is unavailable',
  ])
  // One line: the error's name, code and message, no stack.
  expect(lines).toHaveLength(1)
  expect(lines[0]).toHaveLength(1)
  expect(lines[0]![0]).toMatch(/^inventory service is unavailable: \w*Error (ConnectionRefused|ECONNREFUSED): .+$/)
})

test('an answer that is not ours is a 503 to the caller, and a log line with the status', async () => {
  const { error, lines } = await outcome(fetch(`${server.url}bad-gateway`))
  expect([error.status, error.code]).toEqual([503, 'upstream_unavailable'])
  // The body was not JSON: the status alone.
  expect(lines).toEqual([['inventory service answered 502']])
})

test("the service's own error passes through as it is, and is not logged", async () => {
  const { error, lines } = await outcome(fetch(`${server.url}conflict`))
  expect([error.status, error.code]).toEqual([409, 'insufficient_inventory'])
  expect(lines).toEqual([])
})
