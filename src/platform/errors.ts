/**
 * Every error a client can see has a stable code; the code decides the HTTP status. Service
 * verbs throw ServiceError; routes and the scorer map it, never its message, for 500s.
 */
export const ERROR_CODES = {
  validation_failed: { status: 400, title: 'Request validation failed' },
  idempotency_key_missing: { status: 400, title: 'Idempotency-Key header missing' },
  bad_request: { status: 400, title: 'Bad request' },
  invalid_utf8: { status: 400, title: 'The body is not UTF-8' },
  invalid_cursor: { status: 400, title: 'Pagination cursor is invalid' },
  unauthorized: { status: 401, title: 'Unauthorized' },
  invalid_credentials: { status: 401, title: 'Username or password is wrong' },
  session_expired: { status: 401, title: 'Session expired' },
  forbidden: { status: 403, title: 'Forbidden' },
  csrf_failed: { status: 403, title: 'CSRF token missing or invalid' },
  password_change_required: { status: 403, title: 'The one-time password must be changed first' },
  four_eyes_violation: { status: 403, title: 'Four-eyes rule: another user must decide' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  not_acceptable: { status: 406, title: 'None of the accepted media types can be served' },
  request_timeout: { status: 408, title: 'The request was not received in time' },
  conflict: { status: 409, title: 'Conflict' },
  network_taken: { status: 409, title: 'The network belongs to another operator' },
  sim_cap_exceeded: { status: 409, title: 'SIM cap exceeded' },
  cooling_off_active: { status: 409, title: 'Cooling-off period active' },
  msisdn_already_registered: { status: 409, title: 'MSISDN already registered' },
  msisdn_quarantined: { status: 409, title: 'MSISDN in quarantine' },
  msisdn_watchlisted: { status: 409, title: 'MSISDN on the watchlist' },
  identity_watchlisted: { status: 409, title: "The identity's lines are on the watchlist" },
  iccid_already_registered: { status: 409, title: 'ICCID already registered' },
  acquisition_limit_exceeded: { status: 409, title: 'New-SIM acquisition limit reached' },
  idempotency_in_flight: { status: 409, title: 'A request with this Idempotency-Key is in flight' },
  registration_not_active: { status: 409, title: 'Registration is not active' },
  alert_not_open: { status: 409, title: 'Alert is already closed' },
  invalid_transition: { status: 409, title: 'The order cannot take this action in its status' },
  order_window_passed: { status: 409, title: 'The order window has passed' },
  warninglisted: { status: 409, title: 'The value is on the warninglist and cannot be listed' },
  indicator_not_active: {
    status: 409,
    title: 'The indicator cannot take this action in its status',
  },
  payload_too_large: { status: 413, title: 'Payload too large' },
  too_many_records: { status: 413, title: 'Too many records in one request' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  invalid_document: { status: 422, title: 'Identity document failed verification' },
  webhook_url_not_allowed: {
    status: 422,
    title: 'The webhook URL is not allowed (https to a public address only)',
  },
  invalid_indicator: { status: 422, title: 'The indicator value is not valid for its type' },
  verification_insufficient: { status: 422, title: 'Verification evidence insufficient' },
  document_not_accepted: { status: 422, title: 'Document not accepted for this holder here' },
  verification_reused: {
    status: 422,
    title: 'Verification reference already used for another person',
  },
  account_representative_required: {
    status: 422,
    title: "Only the account's authorised representatives may register under it",
  },
  idempotency_key_reused: {
    status: 422,
    title: 'Idempotency-Key reused with a different request',
  },
  unprocessable: { status: 422, title: 'Unprocessable request' },
  note_required: { status: 422, title: 'A written note is required' },
  rate_limited: { status: 429, title: 'Too many requests' },
  login_throttled: { status: 429, title: 'Too many failed logins; try again later' },
  headers_too_large: { status: 431, title: 'Request header fields too large' },
  internal_error: { status: 500, title: 'Internal server error' },
  unavailable: { status: 503, title: 'Service unavailable' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class ServiceError extends Error {
  /** Set once the refusal is in the audit log, so it is not recorded twice. */
  audited = false;

  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    /** Extra members for the problem document (e.g. which cap, the count). Never internals. */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail);
    this.name = 'ServiceError';
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }
}

export class NotFoundError extends ServiceError {
  constructor(what: string) {
    super('not_found', `${what} was not found`);
  }
}

export class InvalidError extends ServiceError {
  constructor(detail: string, errors: { path: string; message: string }[]) {
    super('validation_failed', detail, { errors });
  }
}
