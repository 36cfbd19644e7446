import { serveOnBun } from '../../runtime/bun.ts'
import { inventoryService } from './service.ts'

export default await serveOnBun(inventoryService)
