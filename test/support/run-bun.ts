import { repositoryRoot } from './environment.ts'

/** Runs `bun <args>` in the repository, as a user does at a terminal, and returns its output and exit code. */
export async function runBun(...args: string[]) {
  const child = Bun.spawn([process.execPath, ...args], { cwd: repositoryRoot, stdout: 'pipe', stderr: 'pipe' })
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ])
  return { stdout, stderr, code }
}
