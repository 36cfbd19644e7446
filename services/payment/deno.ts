import { serveOnDeno } from '../../runtime/deno.ts'
import { paymentService } from './service.ts'

await serveOnDeno(paymentService)
