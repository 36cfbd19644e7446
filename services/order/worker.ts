import { workerFor } from '../../runtime/workers.ts'
import { orderService } from './service.ts'

export default workerFor(orderService)
