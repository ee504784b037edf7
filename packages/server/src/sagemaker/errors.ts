/**
 * Errors of the SageMaker face, in AWS's JSON protocol: `{"__type": code, "message": ...}` plus
 * the `x-amzn-ErrorType` header. Always 4xx for client errors: both AWS SDKs retry 5xx and 429.
 */
export type SageMakerErrorCode =
  | 'ValidationException'
  | 'ResourceNotFound'
  | 'ResourceLimitExceeded'
  | 'ResourceInUse'
  | 'ConflictException'
  | 'SerializationException'
  | 'UnknownOperationException'
  | 'UnsupportedMediaTypeException'
  | 'RequestEntityTooLargeException'
  | 'MissingAuthenticationTokenException'
  | 'IncompleteSignatureException'
  | 'UnrecognizedClientException'
  | 'InvalidSignatureException'
  | 'InternalFailure';

const STATUS: Record<SageMakerErrorCode, number> = {
  ValidationException: 400,
  ResourceNotFound: 400,
  ResourceLimitExceeded: 400,
  ResourceInUse: 400,
  ConflictException: 400,
  SerializationException: 400,
  UnknownOperationException: 400,
  UnsupportedMediaTypeException: 415,
  RequestEntityTooLargeException: 413,
  MissingAuthenticationTokenException: 403,
  IncompleteSignatureException: 403,
  UnrecognizedClientException: 403,
  InvalidSignatureException: 403,
  InternalFailure: 500,
};

export class SageMakerError extends Error {
  readonly code: SageMakerErrorCode;

  constructor(code: SageMakerErrorCode, message: string) {
    super(message);
    this.name = 'SageMakerError';
    this.code = code;
  }

  get status(): number {
    return STATUS[this.code];
  }

  toBody(): { __type: SageMakerErrorCode; message: string } {
    return { __type: this.code, message: this.message };
  }
}

export const validation = (message: string): SageMakerError =>
  new SageMakerError('ValidationException', message);

export const notFound = (message: string): SageMakerError =>
  new SageMakerError('ResourceNotFound', message);
