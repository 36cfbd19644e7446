import { type Context, context, ROOT_CONTEXT } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'

let installed = false

/**
 * Installs an AsyncLocalStorage context manager once per isolate. AsyncHooksContextManager loses the context after
 * the first await on Bun, Deno and workerd; AsyncLocalStorage keeps it (Workers need the `nodejs_compat` flag).
 * The manager is never disabled: `asyncLocalStorage.disable()` does not exist in Workers.
 */
export function installContextManager(): void {
  if (installed) return
  installed = context.setGlobalContextManager(new ChainedContextManager().enable())
}

/**
 * The AsyncLocalStorage manager, whose empty context is a `ContextFrame`: every context made from the active one
 * (a trace context read from headers, a span made active, baggage) is then a frame on a frame, never a copy.
 */
class ChainedContextManager extends AsyncLocalStorageContextManager {
  override active(): Context {
    const active = super.active()
    return active === ROOT_CONTEXT ? ROOT_FRAME : active
  }
}

/** Frames above this many are folded into one copy, so that a value is never looked for down a long chain. */
const MAX_DEPTH = 32
const NO_KEY = Symbol('no key')

/**
 * A context that holds one value and keeps its parent for the rest. The API's context copies its Map, and makes three
 * closures, for every value set; an order sets about twenty (a span made active, a trace context read from headers),
 * each a copy of the one before. A frame is one small object; a read walks up from the value set last, which is
 * the one most read (the active span). Kept parents keep the values they hold, even those a later frame replaced
 * (the parent span under a child's): a context lives as long as the request that made it, and at most `MAX_DEPTH`
 * frames are kept before they are folded into one copy.
 */
class ContextFrame implements Context {
  /** This frame and those under it as one API context, made the first time a frame is set on this one at full depth. */
  private foldedContext: Context | undefined

  constructor(
    private readonly parent: Context,
    private readonly key: symbol,
    private readonly value: unknown,
    private readonly depth: number,
  ) {}

  getValue(key: symbol): unknown {
    let frame: Context = this
    while (frame instanceof ContextFrame) {
      if (frame.key === key) return frame.value
      frame = frame.parent
    }
    return frame.getValue(key)
  }

  setValue(key: symbol, value: unknown): Context {
    if (this.depth < MAX_DEPTH) return new ContextFrame(this, key, value, this.depth + 1)
    this.foldedContext ??= this.folded()
    return new ContextFrame(this.foldedContext, key, value, 1)
  }

  /** A deleted value reads as undefined, as one never set does: the API's context makes no other difference. */
  deleteValue(key: symbol): Context {
    return this.setValue(key, undefined)
  }

  /** The same values as one API context: the context under the frames, with each key's latest value set on it. */
  private folded(): Context {
    const latest = new Map<symbol, unknown>()
    let frame: Context = this
    while (frame instanceof ContextFrame) {
      if (frame.key !== NO_KEY && !latest.has(frame.key)) latest.set(frame.key, frame.value)
      frame = frame.parent
    }
    for (const [key, value] of latest) frame = frame.setValue(key, value)
    return frame
  }
}

const ROOT_FRAME = new ContextFrame(ROOT_CONTEXT, NO_KEY, undefined, 0)
