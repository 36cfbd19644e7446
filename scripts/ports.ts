import { readdirSync, readFileSync, readlinkSync } from 'node:fs'

export interface PortUse {
  port: number
  /** What the port is for, said in the message (`ORDER_PORT, for order`). */
  what: string
}

/** The ports of `uses` something listens on now, each with the process holding it when it can be told (Linux). */
export async function busyPorts(uses: PortUse[]): Promise<(PortUse & { holder?: string })[]> {
  const busy = []
  for (const use of uses) {
    if (await isFree(use.port)) continue
    busy.push({ ...use, holder: holderOf(use.port) })
  }
  return busy
}

/** Free when nothing answers on loopback and the port can be bound on every interface. */
async function isFree(port: number): Promise<boolean> {
  const answers = await Bun.connect({ hostname: '127.0.0.1', port, socket: { data() {} } }).then(
    (socket) => {
      socket.end()
      return true
    },
    () => false,
  )
  if (answers) return false
  try {
    Bun.listen({ hostname: '0.0.0.0', port, socket: { data() {} } }).stop(true)
    return true
  } catch {
    return false
  }
}

/** `pid N (command line)` of the process listening on `port`, read from /proc; undefined where that cannot be told. */
function holderOf(port: number): string | undefined {
  try {
    const inodes = new Set<string>()
    for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
      for (const row of readFileSync(table, 'utf8').split('\n').slice(1)) {
        const fields = row.trim().split(/\s+/)
        // local_address is HEXIP:HEXPORT; state 0A is LISTEN; the inode is the tenth field.
        if (fields[3] === '0A' && Number.parseInt(fields[1]?.split(':')[1] ?? '', 16) === port) inodes.add(fields[9]!)
      }
    }
    for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
      const fds = (() => {
        try {
          return readdirSync(`/proc/${pid}/fd`)
        } catch {
          return []
        }
      })()
      for (const fd of fds) {
        const target = (() => {
          try {
            return readlinkSync(`/proc/${pid}/fd/${fd}`)
          } catch {
            return ''
          }
        })()
        const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1]
        if (inode && inodes.has(inode)) {
          const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ')
          return `pid ${pid} (${command.slice(0, 80)})`
        }
      }
    }
  } catch {
    // Not Linux, or /proc not readable: the port alone is said.
  }
  return undefined
}
