import { serveOnBun } from '../runtime/bun.ts'
import { collectorService } from './service.ts'

// The collector never traces itself: its own spans would loop back into it on every export.
process.env.OTEL_SDK_DISABLED = 'true'

const server = await serveOnBun(collectorService)
// OTLP allows 64 MiB bodies (after decompression, checked by the receiver); Bun's own limit must not be lower.
export default { ...server, maxRequestBodySize: 80 * 1024 * 1024 }
