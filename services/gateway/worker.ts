import { workerFor } from '../../runtime/workers.ts'
import { gatewayService } from './service.ts'

export default workerFor(gatewayService)
