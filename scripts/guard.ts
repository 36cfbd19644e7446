// `bun scripts/guard.ts <command>`: runs one Procfile line for `bun run dev` and makes sure it never outlives the
// runner. The command runs in a process group of its own (so what it starts — wrangler's workerd, sqld — goes with
// it); the guard stops that group as soon as its standard input, a pipe from the runner, closes: when the runner
// exits, whatever ended it (Ctrl-C, SIGTERM, SIGKILL, a wrapper such as npx or timeout going away), the kernel closes
// the pipe. It stops the group too on SIGINT, SIGTERM or SIGHUP, and exits with the command's exit code.
import { constants } from 'node:os'
import { stopGroup } from './process-group.ts'

const command = process.argv.slice(2).join(' ')
if (!command) {
  console.error('usage: bun scripts/guard.ts <command>   (started by scripts/dev.ts, one per Procfile line)')
  process.exit(2)
}

const child = Bun.spawn(['sh', '-c', `exec ${command}`], {
  stdin: 'ignore',
  stdout: 'inherit',
  stderr: 'inherit',
  detached: true,
})

let stopping: Promise<void> | undefined
const stop = () => {
  stopping ??= stopGroup(child.pid, child.exited)
  return stopping
}

/** Set when the guard itself was signalled: it then ends by that signal, as Unix asks, so the runner can tell. */
let signalled: NodeJS.Signals | undefined
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    signalled ??= signal
    void stop()
  })
}
// The runner never writes: the read ends when its end of the pipe closes.
void (async () => {
  for await (const _ of Bun.stdin.stream() as unknown as AsyncIterable<Uint8Array>) {
    // Nothing is sent; reading only waits for the end.
  }
  await stop()
})()

const code = await child.exited
await stopping
if (signalled) {
  process.removeAllListeners(signalled)
  process.kill(process.pid, signalled)
}
// A command killed by a signal exits as a shell reports it: 128 + the signal's number.
process.exit(child.signalCode ? 128 + constants.signals[child.signalCode as NodeJS.Signals] : code)
