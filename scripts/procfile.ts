/** One `name: command` line of a Procfile. */
export interface ProcessEntry {
  name: string
  command: string
}

/** Parses a Procfile: `name: command` per line, `#` comments and blank lines ignored. */
export function parseProcfile(text: string): ProcessEntry[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const match = /^([\w-]+)\s*:\s*(.+)$/.exec(line)
      if (!match) throw new Error(`Procfile line is not "name: command": ${line}`)
      return { name: match[1]!, command: match[2]! }
    })
}
