import type { Attributes } from '@opentelemetry/api'

/** `server.address` and `server.port` of a URL, the port made explicit as the HTTP conventions ask. */
export function serverAttributes(url: URL): Attributes {
  return { 'server.address': url.hostname, 'server.port': Number(url.port) || (url.protocol === 'https:' ? 443 : 80) }
}
