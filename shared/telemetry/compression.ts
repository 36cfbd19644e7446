/** Whether this runtime has `CompressionStream` (Bun, Deno and workerd do; it is a web standard). */
export const canGzip = typeof CompressionStream === 'function'

/** Gzips a request body with the web-standard `CompressionStream`, the same on every runtime. */
export async function gzip(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream('gzip'))
  return new Uint8Array(await new Response(stream).arrayBuffer())
}
