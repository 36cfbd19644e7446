import { serveOnDeno } from '../../runtime/deno.ts'
import { inventoryService } from './service.ts'

await serveOnDeno(inventoryService)
