import { workerFor } from '../../runtime/workers.ts'
import { paymentService } from './service.ts'

export default workerFor(paymentService)
