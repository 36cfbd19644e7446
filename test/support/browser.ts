import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { type Browser, chromium } from 'playwright-core'

/**
 * Headless Chromium for the viewer test, from the npm package `@sparticuz/chromium` (pinned in package.json): the
 * package ships Chromium brotli-compressed, so nothing comes from apt or a browser download. It is unpacked once per
 * package version into `node_modules/.cache/sparticuz-chromium-<version>/`, next to NSS and expat from the package's
 * own library bundle, so the browser needs no more of the system than glibc. Unpacking takes about two seconds.
 */

const ROOT = join(import.meta.dir, '../..')

/** The network here is closed: nothing that phones home, no sandbox (tests may run as root), no GPU. */
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/**
 * Unpacks with the package's own `inflate()`, in a child process whose TMPDIR is a fresh staging directory (inflate
 * writes into the temp dir), then renames the staging directory into place, so a directory that exists is complete
 * and two test runs unpacking at once do not see each other's half-written files.
 */
const UNPACK = `
import { inflate } from '@sparticuz/chromium'
import { join } from 'node:path'
const bin = process.argv[1]
for (const file of ['chromium.br', 'fonts.tar.br', 'al2023.tar.br']) await inflate(join(bin, file))
`

async function unpack(): Promise<{ dir: string; version: string }> {
  const packageDir = join(dirname(Bun.resolveSync('@sparticuz/chromium', ROOT)), '..')
  const { version } = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8')) as { version: string }
  const cache = join(ROOT, 'node_modules', '.cache')
  const dir = join(cache, `sparticuz-chromium-${version}`)
  if (existsSync(join(dir, 'chromium'))) return { dir, version }

  await mkdir(cache, { recursive: true })
  const staging = await mkdtemp(join(cache, `sparticuz-chromium-${version}.unpacking-`))
  try {
    const child = Bun.spawn([process.execPath, '-e', UNPACK, join(packageDir, 'bin')], {
      cwd: ROOT,
      env: { ...process.env, TMPDIR: staging },
      stdout: 'ignore',
      stderr: 'pipe',
    })
    const [stderr, code] = await Promise.all([new Response(child.stderr).text(), child.exited])
    if (code !== 0 || !existsSync(join(staging, 'chromium'))) {
      throw new Error(`unpacking ${packageDir}/bin exited with ${code}:\n${stderr}`)
    }
    // The package's fonts.conf names /tmp/fonts; this one names where the fonts are here.
    await writeFile(
      join(staging, 'fonts', 'fonts.conf'),
      `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n  <dir>${join(dir, 'fonts', 'fonts')}</dir>\n  <cachedir>${join(dir, 'fonts', 'cache')}</cachedir>\n</fontconfig>\n`,
    )
    await rename(staging, dir).catch((error) => {
      // Another run renamed its copy into place first: use that one.
      if (!existsSync(join(dir, 'chromium'))) throw error
    })
  } finally {
    await rm(staging, { recursive: true, force: true })
  }
  return { dir, version }
}

/** Launches the packaged Chromium headless; throws (never skips) with what went wrong if it cannot start. */
export async function launchBrowser(): Promise<Browser> {
  let unpacked: Awaited<ReturnType<typeof unpack>>
  try {
    unpacked = await unpack()
  } catch (error) {
    throw new Error(
      `Could not unpack Chromium from the npm package @sparticuz/chromium (is it installed? run \`npx bun install --frozen-lockfile\`): ${(error as Error).message}`,
    )
  }
  const { dir, version } = unpacked
  const executablePath = join(dir, 'chromium')
  const libraries = join(dir, 'al2023', 'lib')
  try {
    return await chromium.launch({
      executablePath,
      headless: true,
      args: ARGS,
      timeout: 30_000,
      env: {
        ...process.env,
        LD_LIBRARY_PATH: [libraries, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
        FONTCONFIG_PATH: join(dir, 'fonts'),
      },
    })
  } catch (error) {
    throw new Error(
      `Chromium ${version} from @sparticuz/chromium (${executablePath}) did not start; try running it with \`LD_LIBRARY_PATH=${libraries} ${executablePath} --headless --no-sandbox --dump-dom about:blank\` to see why:\n${(error as Error).message}`,
    )
  }
}
