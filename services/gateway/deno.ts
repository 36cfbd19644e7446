import { serveOnDeno } from '../../runtime/deno.ts'
import { gatewayService } from './service.ts'

await serveOnDeno(gatewayService)
