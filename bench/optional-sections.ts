import type { SectionRun } from './section.ts'

/**
 * Parts of the bench that other work brings: each is a module beside this file exporting a SectionRun. Until it
 * is in the checkout, the report says so instead of showing a number.
 */
export const OPTIONAL_SECTIONS = [
  { id: 'bundle-size', module: 'bundle-size.ts', exportName: 'benchBundleSize' },
] as const

/** The section's function, or why there is none. */
export async function loadOptionalSection(module: string, exportName: string): Promise<SectionRun | string> {
  const path = new URL(`./${module}`, import.meta.url).pathname
  if (!(await Bun.file(path).exists())) return `not available in this checkout: bench/${module} is not there yet`
  const loaded = (await import(path)) as Record<string, unknown>
  const run = loaded[exportName]
  return typeof run === 'function' ? (run as SectionRun) : `bench/${module} does not export ${exportName}(context)`
}
