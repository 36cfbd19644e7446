import { context } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'

let installed = false

/**
 * Installs an AsyncLocalStorage context manager once per isolate. AsyncHooksContextManager loses the context after
 * the first await on Bun, Deno and workerd; AsyncLocalStorage keeps it (Workers need the `nodejs_compat` flag).
 * The manager is never disabled: `asyncLocalStorage.disable()` does not exist in Workers.
 */
export function installContextManager(): void {
  if (installed) return
  installed = context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
}
