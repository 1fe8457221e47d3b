// Errors as objects carrying the contract's codes (API.md's error table).

/** An error answered by the server: `status`, the contract's `code`, `details`. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code e.g. "slot_unavailable", "validation_failed"
   * @param {string} message
   * @param {Record<string, unknown>} [details]
   */
  constructor(status, code, message, details = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }

  /** Worth trying again later (with the same Idempotency-Key)? */
  get retryable() {
    return this.status === 429 || this.status >= 500;
  }
}

/** The request never got an answer (offline, reset, timeout). */
export class NetworkError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'NetworkError';
    this.retryable = true;
  }
}
