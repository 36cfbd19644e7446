import { serveOnDeno } from '../../runtime/deno.ts'
import { orderService } from './service.ts'

await serveOnDeno(orderService)
