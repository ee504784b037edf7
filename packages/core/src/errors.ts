/**
 * Every error Cairn raises on purpose is a CairnError with a stable `code`. The HTTP layer maps
 * codes to statuses in one table (`httpStatusOf`); the SDK turns an error body back into the
 * same class, so `err.code` is the same on both sides of the wire.
 */
export const errorCodes = {
  /** Input broke a documented rule (name, type, alias, tag, metadata, path, limit). */
  VALIDATION: 400,
  /** A path would escape its root (`..`, absolute path, symlink pointing outside). */
  PATH_ESCAPE: 400,
  /** Bytes did not match the digest they were declared with. */
  DIGEST_MISMATCH: 400,
  /** A commit referenced blobs the server does not have. */
  MISSING_BLOBS: 400,
  /** The request body was not well-formed (JSON, framing, content type). */
  BAD_REQUEST: 400,
  /** The artifact is finalized (logged); make a new draft to change it. */
  ARTIFACT_FINALIZED: 400,
  /** The operation needs a logged artifact, and this one is a draft. */
  ARTIFACT_NOT_LOGGED: 400,
  /** Files on disk do not match the manifest. */
  VERIFY_FAILED: 400,
  /** Missing or wrong API key. */
  UNAUTHORIZED: 401,
  /** Authenticated, but not allowed. */
  FORBIDDEN: 403,
  /** Entity, project, collection, version, alias, entry or upload does not exist. */
  NOT_FOUND: 404,
  /** The request conflicts with current state (alias in use, version has aliases, name taken). */
  CONFLICT: 409,
  /** A body larger than the server accepts. */
  PAYLOAD_TOO_LARGE: 413,
  /** A requested byte range cannot be served. */
  RANGE_NOT_SATISFIABLE: 416,
  /** A resource limit was reached. */
  LIMIT_EXCEEDED: 429,
  /** A bug or an unavailable backend: never raised for bad input. */
  INTERNAL: 500,
  /** The server could not be reached or answered with something that is not Cairn. */
  UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof errorCodes;

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
}

export class CairnError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'CairnError';
    this.code = code;
    this.details = details;
  }

  toBody(): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details ? { details: this.details } : {}),
      },
    };
  }
}

export class ValidationError extends CairnError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('VALIDATION', message, details);
    this.name = 'ValidationError';
  }
}

export class NotFoundError extends CairnError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('NOT_FOUND', message, details);
    this.name = 'NotFoundError';
  }
}

export class ConflictError extends CairnError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('CONFLICT', message, details);
    this.name = 'ConflictError';
  }
}

export class PathEscapeError extends CairnError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('PATH_ESCAPE', message, details);
    this.name = 'PathEscapeError';
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(errorCodes, value);
}

export function httpStatusOf(code: ErrorCode): number {
  return errorCodes[code];
}

/** Rebuilds a CairnError from an HTTP error body; anything unexpected becomes UNAVAILABLE. */
export function errorFromBody(status: number, body: unknown): CairnError {
  if (typeof body === 'object' && body !== null && 'error' in body) {
    const e = (body as { error: unknown }).error;
    if (typeof e === 'object' && e !== null) {
      const { code, message, details } = e as Record<string, unknown>;
      if (isErrorCode(code) && typeof message === 'string') {
        return new CairnError(
          code,
          message,
          typeof details === 'object' && details !== null
            ? (details as Record<string, unknown>)
            : undefined,
        );
      }
    }
  }
  return new CairnError('UNAVAILABLE', `unexpected response from server (HTTP ${status})`);
}
