import type { ErrorHandler } from 'hono'
import { toAppError } from '../shared/errors.ts'

/** The gRPC code grpc-gateway pairs with each HTTP status (google.rpc.Code); 2 is UNKNOWN. */
const GRPC_CODES: Record<number, number> = {
  400: 3,
  401: 16,
  403: 7,
  404: 5,
  409: 10,
  429: 8,
  500: 13,
  501: 12,
  503: 14,
}
const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
}

/** jaeger-idl's `GRPCGatewayError`: what api_v3 answers over HTTP instead of a result (Grafana reads `error.httpCode`). */
export interface GrpcGatewayError {
  error: { grpcCode: number; httpCode: number; message: string; httpStatus: string }
}

export function grpcGatewayError(status: number, message: string): GrpcGatewayError {
  return {
    error: { grpcCode: GRPC_CODES[status] ?? 2, httpCode: status, message, httpStatus: STATUS_TEXT[status] ?? '' },
  }
}

/** `onError` of `/api/v3`. */
export const grpcGatewayErrorHandler: ErrorHandler = (error, c) => {
  const { status, message } = toAppError(error)
  if (status >= 500) console.error('collector: api_v3 query failed', error)
  return c.json(grpcGatewayError(status, message), status)
}
