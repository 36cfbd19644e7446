import { workerFor } from '../../runtime/workers.ts'
import { inventoryService } from './service.ts'

export default workerFor(inventoryService)
