import { serveOnBun } from '../../runtime/bun.ts'
import { gatewayService } from './service.ts'

export default await serveOnBun(gatewayService)
