import { serveOnBun } from '../../runtime/bun.ts'
import { paymentService } from './service.ts'

export default await serveOnBun(paymentService)
