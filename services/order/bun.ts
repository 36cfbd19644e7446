import { serveOnBun } from '../../runtime/bun.ts'
import { orderService } from './service.ts'

export default await serveOnBun(orderService)
