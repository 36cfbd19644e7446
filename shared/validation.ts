import { zValidator } from '@hono/zod-validator'
import type { Context, ValidationTargets } from 'hono'
import { en } from 'zod/locales'
import * as z from 'zod/mini'
import { AppError } from './errors.ts'

// zod/mini: the same zod with functions in place of methods, so a Worker bundles only the schemas and checks used
// here (about 50 KiB raw; all of `zod` is 760 KiB). Import it as `import * as z`: `import { z }` keeps all of it. It
// loads no locale of its own; English is the one `zod` loads, so every message reads as with `zod`.
z.config(en())

const JSON_TYPE = /^application\/([\w.-]+\+)?json\s*(;|$)/i

/**
 * `zValidator` whose failures are `400 invalid_request` in the project's error shape, listing every problem.
 * Hono's JSON validator already rejects a body that is not JSON (as an HTTPException, mapped to the same code); a
 * JSON body must also be valid UTF-8 (`bodyText`).
 */
export const validate = <Target extends keyof ValidationTargets, S extends z.ZodMiniType>(
  target: Target,
  schema: S,
) => {
  const validator = zValidator(target, schema, (result, c) => {
    // Hono reads a JSON body only when it is labelled JSON; anything else would surface as "fields missing".
    if (target === 'json' && !JSON_TYPE.test(c.req.header('content-type') ?? '')) {
      throw new AppError(400, 'invalid_request', 'the body must be JSON, sent with content-type: application/json')
    }
    if (!result.success) throw invalidRequest(result.error)
  })
  if (target !== 'json') return validator
  // Hono keeps the bytes read here; the validator parses them without reading the body again.
  return (async (c, next) => {
    if (JSON_TYPE.test(c.req.header('content-type') ?? '')) await bodyText(c)
    return validator(c, next)
  }) as typeof validator
}

/**
 * The request body as text, or `400 invalid_request` when it is not valid UTF-8: a lenient decoder would turn bad
 * bytes into U+FFFD and the service would store something other than what was sent.
 */
export async function bodyText(c: Context): Promise<string> {
  const bytes = await c.req.arrayBuffer()
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw new AppError(400, 'invalid_request', 'the body is not valid UTF-8')
  }
}

/** Control characters (NUL among them) and unpaired surrogates: neither survives storage and display intact. */
const UNPRINTABLE = /[\p{Cc}\p{Cs}]/u

/** An identifier a client chooses (a user id, an idempotency key): 1 to `max` characters of printable text. */
export const identifier = (max: number) =>
  z.string().check(
    z.minLength(1),
    z.maxLength(max),
    z.refine((value) => !UNPRINTABLE.test(value), 'control characters and unpaired surrogates are not allowed'),
  )

/** A failed zod parse as `400 invalid_request`: the first problem in the message, every problem in the details. */
export function invalidRequest(error: {
  issues: readonly { path: readonly PropertyKey[]; message: string }[]
}): AppError {
  const issues = error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }))
  const first = issues[0]
  const message = first ? `${first.path || 'body'}: ${first.message}` : 'invalid request'
  return new AppError(400, 'invalid_request', message, { issues })
}

/** `JSON.parse`, or `400 invalid_request` saying that `what` is not JSON. */
export function parseJson(text: string, what = 'the body'): unknown {
  try {
    return JSON.parse(text)
  } catch {
    throw new AppError(400, 'invalid_request', `${what} is not JSON`)
  }
}

export const MAX_ITEMS = 100
export const MAX_QUANTITY = 1000

export const itemSchema = z.object({
  id: identifier(64),
  quantity: z.number().check(z.int(), z.gte(1), z.lte(MAX_QUANTITY)),
})

export const itemsSchema = z.array(itemSchema).check(
  z.minLength(1, 'at least one item is required'),
  z.maxLength(MAX_ITEMS, `at most ${MAX_ITEMS} items`),
  z.refine((items) => new Set(items.map((item) => item.id)).size === items.length, 'duplicate item ids'),
)
