import { expect, test } from 'bun:test'
import { realpathSync } from 'node:fs'
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { repositoryRoot } from '../support/environment.ts'

/**
 * The README's test command on a fresh clone, for the test that needs the most set-up: the viewer in a real browser.
 * Nothing from the machine but Node.js, npm and git: the PATH holds those alone, so no system browser (and no Bun
 * outside the clone) can be found.
 */
test('a fresh clone passes the viewer test with the README command and no browser on the machine', async () => {
  const clone = await mkdtemp(join(tmpdir(), 'fresh-clone-'))
  try {
    const cloned = Bun.spawnSync(['git', 'clone', '--quiet', '--no-hardlinks', repositoryRoot, clone])
    expect(cloned.exitCode).toBe(0)
    // A PATH of one folder with links to those tools only: a browser installed on the machine stays out of reach.
    const bin = join(clone, '.machine-bin')
    await mkdir(bin)
    for (const tool of ['node', 'npm', 'npx', 'git', 'sh', 'env']) await symlink(toolPath(tool), join(bin, tool))
    const path = bin
    for (const browser of ['chromium', 'chromium-browser', 'google-chrome']) {
      expect(Bun.which(browser, { PATH: path })).toBeNull()
    }
    // The README's command, with only the viewer test named after `bun test`.
    const run = Bun.spawn(
      ['sh', '-c', 'npx --yes bun@1.4.5 install --frozen-lockfile && npx bun test test/collector/viewer.test.ts'],
      { cwd: clone, env: { HOME: process.env.HOME ?? clone, PATH: path }, stdout: 'pipe', stderr: 'pipe' },
    )
    const [code, out, err] = await Promise.all([
      run.exited,
      new Response(run.stdout).text(),
      new Response(run.stderr).text(),
    ])
    expect({ code, tail: `${out}${err}`.slice(-2000) }).toMatchObject({ code: 0 })
    expect(`${out}${err}`).toMatch(/\b[1-9]\d* pass\b/)
    expect(`${out}${err}`).toContain(' 0 fail')
  } finally {
    await rm(clone, { recursive: true, force: true })
  }
}, 300_000)

function toolPath(tool: string): string {
  const found = Bun.which(tool)
  if (!found) throw new Error(`${tool} must be on the PATH`)
  return realpathSync(found)
}
