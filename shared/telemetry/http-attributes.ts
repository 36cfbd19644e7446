import type { Attributes } from '@opentelemetry/api'
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_CLIENT_PORT,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_METHOD_ORIGINAL,
  ATTR_NETWORK_PEER_ADDRESS,
  ATTR_NETWORK_PEER_PORT,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  HTTP_REQUEST_METHOD_VALUE_CONNECT,
  HTTP_REQUEST_METHOD_VALUE_DELETE,
  HTTP_REQUEST_METHOD_VALUE_GET,
  HTTP_REQUEST_METHOD_VALUE_HEAD,
  HTTP_REQUEST_METHOD_VALUE_OPTIONS,
  HTTP_REQUEST_METHOD_VALUE_OTHER,
  HTTP_REQUEST_METHOD_VALUE_PATCH,
  HTTP_REQUEST_METHOD_VALUE_POST,
  HTTP_REQUEST_METHOD_VALUE_PUT,
  HTTP_REQUEST_METHOD_VALUE_TRACE,
} from '@opentelemetry/semantic-conventions'

/** What the HTTP attributes read of a URL: a `URL`, or `requestUrl`'s cheaper equivalent. */
export type UrlParts = Pick<URL, 'protocol' | 'hostname' | 'port' | 'pathname' | 'search'>

/**
 * The parts of a Request's URL, as `new URL(request.url)` has them, without parsing it again: `request.url` is the
 * URL parser's serialization (lowercase scheme and host, default port left out, path resolved, `?` before the path
 * made `/?`), so an http(s) one splits at its delimiters. Anything else goes through `URL`.
 */
export function requestUrl(url: string): UrlParts {
  const protocol = url.startsWith('http://') ? 'http:' : url.startsWith('https://') ? 'https:' : ''
  const hostStart = protocol.length + 2
  const pathStart = protocol ? url.indexOf('/', hostStart) : -1
  if (pathStart < 0) return new URL(url)
  // Credentials, which a Request may carry, end at the host's last `@`; an IPv6 host is bracketed, colons and all.
  const host = url.slice(url.lastIndexOf('@', pathStart) + 1 || hostStart, pathStart)
  const colon = host.lastIndexOf(':')
  const hasPort = colon > host.lastIndexOf(']')
  const hash = url.indexOf('#', pathStart)
  const end = hash < 0 ? url.length : hash
  const query = url.indexOf('?', pathStart)
  const pathEnd = query < 0 || query > end ? end : query
  return {
    protocol,
    hostname: hasPort ? host.slice(0, colon) : host,
    port: hasPort ? host.slice(colon + 1) : '',
    pathname: url.slice(pathStart, pathEnd),
    // `URL.search` is empty for an empty query as for none.
    search: end - pathEnd > 1 ? url.slice(pathEnd, end) : '',
  }
}

/** Adds `server.address` and `server.port` of a URL, the port made explicit as the HTTP conventions ask. */
export function addServerAttributes(attributes: Attributes, url: UrlParts): void {
  attributes[ATTR_SERVER_ADDRESS] = url.hostname
  attributes[ATTR_SERVER_PORT] = Number(url.port) || (url.protocol === 'https:' ? 443 : 80)
}

const KNOWN_METHODS = new Set<string>([
  HTTP_REQUEST_METHOD_VALUE_CONNECT,
  HTTP_REQUEST_METHOD_VALUE_DELETE,
  HTTP_REQUEST_METHOD_VALUE_GET,
  HTTP_REQUEST_METHOD_VALUE_HEAD,
  HTTP_REQUEST_METHOD_VALUE_OPTIONS,
  HTTP_REQUEST_METHOD_VALUE_PATCH,
  HTTP_REQUEST_METHOD_VALUE_POST,
  HTTP_REQUEST_METHOD_VALUE_PUT,
  HTTP_REQUEST_METHOD_VALUE_TRACE,
])

/**
 * Adds `http.request.method`. A method the conventions do not know (they are case sensitive: `get` is unknown too)
 * is `_OTHER`, with the method as sent in `http.request.method_original`; such a span is named `HTTP` (`spanNameOf`):
 * any client can make up methods, and each would otherwise be a span name of its own.
 */
export function addMethodAttributes(attributes: Attributes, method: string): void {
  if (KNOWN_METHODS.has(method)) {
    attributes[ATTR_HTTP_REQUEST_METHOD] = method
  } else {
    attributes[ATTR_HTTP_REQUEST_METHOD] = HTTP_REQUEST_METHOD_VALUE_OTHER
    attributes[ATTR_HTTP_REQUEST_METHOD_ORIGINAL] = method
  }
}

/** The span name's first word for a method: the method if the conventions know it, else `HTTP`. */
export function spanNameOf(method: string): string {
  return KNOWN_METHODS.has(method) ? method : 'HTTP'
}

/**
 * The query of a URL without its `?`, each value replaced by `REDACTED` (`a=1&b` → `a=REDACTED&b`): the keys say
 * what a request asked for, the values may be tokens, e-mail addresses or card numbers. Undefined for no query.
 */
export function redactedQuery(url: Pick<URL, 'search'>): string | undefined {
  const search = url.search
  if (search.length < 2) return undefined
  // One pass over the pairs, without an array of them; each `=` is looked for once, however many pairs lack one.
  let redacted = ''
  let start = 1
  let separator = search.indexOf('=', start)
  for (;;) {
    const next = search.indexOf('&', start)
    const end = next < 0 ? search.length : next
    if (separator >= 0 && separator < start) separator = search.indexOf('=', start)
    redacted +=
      separator < 0 || separator > end ? search.slice(start, end) : `${search.slice(start, separator)}=REDACTED`
    if (next < 0) return redacted
    redacted += '&'
    start = next + 1
  }
}

/**
 * Adds the client's address and the connection's peer, as the HTTP server conventions ask:
 * - `client.address`: the original client, from `Forwarded: for=` or else `X-Forwarded-For` (the first hop, as a
 *   proxy appends), else the connection's peer. These headers are whatever the caller sent unless a proxy in front
 *   sets them: the attribute is a hint, never an identity.
 * - `network.peer.address` / `.port`: the connection's peer. A `Request` does not carry it; Hono hands its
 *   handlers what the runtime passes `fetch` besides the request, and that holds it on Bun (the server:
 *   `server.requestIP(request)`) and Deno (`Deno.serve`'s `info.remoteAddr`). On Workers there is no socket:
 *   Cloudflare puts the client address in `CF-Connecting-IP`, which is used when nothing else says.
 */
export function addClientAttributes(attributes: Attributes, request: Request, runtimeArgument: unknown): void {
  const peer = connectionPeer(request, runtimeArgument)
  const headers = request.headers
  const forwarded = forwardedFor(headers.get('forwarded')) ?? firstValue(headers.get('x-forwarded-for'))
  if (forwarded) attributes[ATTR_CLIENT_ADDRESS] = forwarded
  else if (peer) {
    attributes[ATTR_CLIENT_ADDRESS] = peer.address
    attributes[ATTR_CLIENT_PORT] = peer.port
  } else {
    const cloudflare = firstValue(headers.get('cf-connecting-ip'))
    if (cloudflare) attributes[ATTR_CLIENT_ADDRESS] = cloudflare
  }
  if (peer) {
    attributes[ATTR_NETWORK_PEER_ADDRESS] = peer.address
    attributes[ATTR_NETWORK_PEER_PORT] = peer.port
  }
}

/**
 * `network.protocol.version` of the request, where the runtime says it: workerd gives `request.cf.httpProtocol`
 * (`HTTP/2` → `2`); Bun's server speaks HTTP/1.1 only over plain HTTP (no h2c), so that is known too. Deno accepts
 * h2c and HTTP/1.1 on one port and tells a handler neither: there the attribute is left out rather than guessed.
 * Added to `attributes`; `url` is the request's, already split (`requestUrl`), so its URL is not read again.
 */
export function addProtocolAttributes(
  attributes: Attributes,
  request: Request,
  url: UrlParts,
  runtimeArgument: unknown,
): void {
  const cf = (request as { cf?: { httpProtocol?: unknown } }).cf
  if (typeof cf?.httpProtocol === 'string' && /^HTTP\/[\d.]+$/i.test(cf.httpProtocol)) {
    attributes[ATTR_NETWORK_PROTOCOL_VERSION] = cf.httpProtocol.slice(5)
  } else if (isBunServer(runtimeArgument) && url.protocol === 'http:') {
    attributes[ATTR_NETWORK_PROTOCOL_VERSION] = '1.1'
  }
}

interface Peer {
  address: string
  port: number
}

function connectionPeer(request: Request, runtimeArgument: unknown): Peer | undefined {
  try {
    if (isBunServer(runtimeArgument)) {
      const ip = runtimeArgument.requestIP(request)
      return ip ? { address: unmapIPv4(ip.address), port: ip.port } : undefined
    }
    const remote = (runtimeArgument as { remoteAddr?: { hostname?: unknown; port?: unknown } } | undefined)?.remoteAddr
    if (typeof remote?.hostname === 'string' && typeof remote.port === 'number') {
      return { address: remote.hostname, port: remote.port }
    }
  } catch {
    // A request the server did not receive itself (a test, a forwarded Request) has no peer to ask for.
  }
  return undefined
}

type BunServer = { requestIP(request: Request): { address: string; port: number } | null }

function isBunServer(value: unknown): value is BunServer {
  return typeof (value as Partial<BunServer> | undefined)?.requestIP === 'function'
}

/** The last address `unmapIPv4` was asked about, and its answer: a service's peers are a few proxies and services. */
let lastPeer = ''
let lastUnmapped = ''

/** `::ffff:127.0.0.1`, an IPv4 client on a dual-stack socket, is `127.0.0.1`. */
function unmapIPv4(address: string): string {
  if (address !== lastPeer) {
    lastUnmapped = address.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1')
    lastPeer = address
  }
  return lastUnmapped
}

/**
 * The `for=` of the first element of an RFC 7239 `Forwarded` header, without quotes, brackets and port; undefined
 * when absent, `unknown` or obfuscated (`_hidden`).
 */
function forwardedFor(header: string | null): string | undefined {
  const first = header?.split(',')[0]
  const pair = first
    ?.split(';')
    .map((part) => part.trim())
    .find((part) => part.toLowerCase().startsWith('for='))
  if (!pair) return undefined
  const value = pair.slice(4).replace(/^"|"$/g, '')
  // `[2001:db8::1]:4711` or `192.0.2.43:47011`: the port goes; a bare IPv6 address has more than one colon.
  const address = value.startsWith('[')
    ? value.slice(1, value.indexOf(']'))
    : value.split(':').length === 2
      ? value.split(':')[0]!
      : value
  return address && address !== 'unknown' && !address.startsWith('_') ? address : undefined
}

function firstValue(header: string | null): string | undefined {
  return header?.split(',')[0]?.trim() || undefined
}
