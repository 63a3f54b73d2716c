import type { KeyObject } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { ed25519PrivateKey } from './platform/crypto.js';
import { DAY_MS, MINUTE_MS, SECOND_MS } from './platform/time.js';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v));

/** A 32-byte key given as 64 hex characters or base64. */
const key32 = optionalText.refine((v) => v === undefined || decodeKey(v) !== undefined, {
  message: 'must be 32 bytes as 64 hex characters or base64',
});

/** `id:key,id:key`; the first entry seals new data, the rest only open old data. */
const keyring = optionalText.refine(
  (v) =>
    v === undefined ||
    v.split(',').every((entry) => {
      const [id, k] = entry.split(':');
      return (
        id !== undefined && /^[a-z0-9_-]{1,32}$/i.test(id) && k !== undefined && !!decodeKey(k)
      );
    }),
  { message: 'must be a comma-separated list of id:key with 32-byte keys (hex or base64)' },
);

/** An Ed25519 private key: PKCS8 PEM, or its raw 32-byte seed in base64 or hex. */
const signingKey = optionalText.refine((v) => v === undefined || !!ed25519PrivateKey(v), {
  message: 'must be an Ed25519 private key: PKCS8 PEM, or 32 bytes as base64 or hex',
});

export const PROCESS_ROLES = ['api', 'scorer'] as const;
export type ProcessRole = (typeof PROCESS_ROLES)[number];

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: optionalText.refine((v) => v === undefined || /^postgres(ql)?:\/\//.test(v), {
    message: 'must be a postgres:// or postgresql:// URL',
  }),
  DATABASE_POOL_MAX: positiveInt(20),
  DATA_DIR: z.string().min(1).default('./data'),
  EMBEDDED_PG_PORT: z.coerce.number().int().min(1024).max(65535).default(54329),
  /** This instance's country (ISO 3166-1 alpha-2): the source country of its own listings. */
  SIMLINE_COUNTRY: z
    .string()
    .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code such as TH')
    .default('TH'),
  /** Default: api, plus scorer when KAFKA_BROKERS is set. */
  SIMLINE_ROLE: optionalText.pipe(
    z
      .string()
      .transform((v) => v.split(',').map((r) => r.trim()))
      .pipe(z.array(z.enum(PROCESS_ROLES)).min(1))
      .optional(),
  ),
  IDENTITY_PEPPER: key32,
  PII_KEYS: keyring,
  /** Keys of the idempotency fingerprints (HMAC); the first makes new ones, the rest still match. */
  FINGERPRINT_KEYS: keyring,
  /** Keys of the audit hash chain (HMAC); the first links new rows, every one verifies. */
  AUDIT_HMAC_KEY: keyring,
  /** Signs audit checkpoints (Ed25519). */
  AUDIT_SIGNING_KEY: signingKey,
  AUDIT_SIGNING_KEY_ID: z
    .string()
    .regex(/^[a-z0-9_-]{1,32}$/i, 'must be 1-32 letters, digits, _ or -')
    .default('s1'),
  /** When set, the api role writes a signed audit checkpoint file here every interval. */
  AUDIT_CHECKPOINT_DIR: optionalText,
  AUDIT_CHECKPOINT_INTERVAL_MS: z.coerce.number().int().min(1000).default(300_000),
  /** sim-summary calls per operator per minute, counted in PostgreSQL across replicas. */
  SIM_SUMMARY_RATE_PER_MINUTE: positiveInt(30),
  /** API requests per operator per second and burst, shared by all replicas (PostgreSQL). */
  RATE_LIMIT_RPS: positiveInt(500),
  RATE_LIMIT_BURST: positiveInt(1000),
  QUARANTINE_DAYS: z.coerce.number().int().min(0).default(90),
  IDEMPOTENCY_TTL_HOURS: z.coerce.number().int().min(24).default(48),
  SHUTDOWN_GRACE_MS: positiveInt(10_000),
  /** Console sessions end after this long without a request, and after the absolute limit. */
  CONSOLE_SESSION_IDLE_MINUTES: positiveInt(30),
  CONSOLE_SESSION_ABSOLUTE_HOURS: positiveInt(12),
  /**
   * `auto`: the session cookie is `Secure` and `__Host-` prefixed when the request arrived over
   * TLS (https URL or `X-Forwarded-Proto: https`); `always` forces that, `never` is for plain
   * http deployments on a trusted network only.
   */
  CONSOLE_COOKIE_SECURE: z.enum(['auto', 'always', 'never']).default('auto'),
  LOGIN_MAX_FAILURES: positiveInt(5),
  LOGIN_MAX_FAILURES_PER_ADDRESS: positiveInt(50),
  LOGIN_LOCK_MINUTES: positiveInt(15),
  /**
   * Behind a reverse proxy that sets X-Forwarded-For, take the client address from its first
   * entry; otherwise the socket's peer address is used (a client could forge the header).
   */
  TRUST_PROXY: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  ORDER_MAX_DAYS: positiveInt(15),
  ORDER_ACK_DEADLINE_HOURS: positiveInt(24),
  /** Days after approval by which someone other than the approver must review an issued order. */
  ORDER_REVIEW_DAYS: positiveInt(5),
  /**
   * How late (event time) a CDR may arrive and still count; at most a day (the stored hour ring,
   * HOUR_SLOTS in scoring/queries.ts, holds a day's window plus this much).
   */
  /**
   * Group detection (cells and blocks of target numbers shared by many lines): `false` stops the
   * group sightings and the group stage, for the scorer's cost without it.
   */
  SCORING_GROUPS: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  SCORING_LATENESS_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(DAY_MS)
    .default(10 * MINUTE_MS),
  /**
   * How far ahead of the server's clock a CDR's startedAt may be: a record dated later is refused
   * (`future` over HTTP, dead-lettered from Kafka) and never moves a watermark; a stored
   * watermark further ahead at start is pulled back.
   */
  SCORING_MAX_FUTURE_SKEW_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(DAY_MS)
    .default(15 * MINUTE_MS),
  /** How often scorers re-read thresholds and the allowlist. */
  SCORING_RELOAD_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(30 * SECOND_MS),
  /** How often scorers read watchlist changes (new, revoked, suspended listings). */
  WATCHLIST_RELOAD_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(60 * SECOND_MS)
    .default(2 * SECOND_MS),
  /**
   * Webhook URLs may be plain http and reach loopback, private and link-local addresses: for
   * tests and benchmarks on one host, never in production.
   */
  WEBHOOK_ALLOW_INSECURE_URLS: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  /** How long one delivery attempt may take (connect, send, answer) before it counts as failed. */
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  /**
   * Waits between a failed attempt and the next, in ms (the Standard Webhooks schedule: 5 s,
   * 5 min, 30 min, 2 h, 5 h, 10 h, 10 h); after the last, the delivery is `failed`.
   */
  WEBHOOK_RETRY_DELAYS_MS: z
    .string()
    .default('5000,300000,1800000,7200000,18000000,36000000,36000000')
    .transform((v, ctx) => {
      const delays = v.split(',').map((d) => Number(d.trim()));
      if (delays.some((d) => !Number.isInteger(d) || d < 0))
        ctx.addIssue({ code: 'custom', message: 'a comma-separated list of whole ms (>= 0)' });
      return delays;
    }),
  /** Deliveries in flight at once per process. */
  WEBHOOK_CONCURRENCY: positiveInt(32),
  /** Hours a rotated-out secret still signs, beside the new one (0: the old one stops at once). */
  WEBHOOK_SECRET_GRACE_HOURS: z.coerce.number().int().min(0).max(720).default(24),
  /** Days delivered and failed deliveries, and dispatched events, are kept for their owners. */
  WEBHOOK_RETENTION_DAYS: positiveInt(30),
  /** Fallback poll for due retries and missed notifications (events wake workers at once). */
  WEBHOOK_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(1000),
  /** How often the api role pulls each partner's TAXII collection and sends sightings back. */
  FEDERATION_PULL_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(10 * 60 * SECOND_MS)
    .default(5 * SECOND_MS),
  KAFKA_BROKERS: optionalText,
  KAFKA_GROUP_ID: z.string().min(1).default('simline-scorer'),
  KAFKA_CDR_TOPIC: z.string().min(1).default('cdr.records'),
  KAFKA_DLQ_TOPIC: z.string().min(1).default('cdr.dlq'),
  KAFKA_ALERTS_TOPIC: z.string().min(1).default('line.alerts'),
  /** Webhook events (the same as the webhooks), keyed by organisation. */
  KAFKA_WEBHOOK_TOPIC: z.string().min(1).default('watchlist.events'),
  KAFKA_IMEI_TOPIC: z.string().min(1).default('simline.imei-repartition'),
  /** Group sightings (by cell and by block of target numbers) re-keyed for the group stage. */
  KAFKA_GROUP_TOPIC: z.string().min(1).default('simline.group-repartition'),
  /**
   * How the line stage writes group sightings: `binary` (compact) or `json` (the encoding before
   * it). Every instance reads both: `json` while instances that read only JSON still run (an
   * upgrade from them, rolled out one instance at a time), then `binary`.
   */
  KAFKA_GROUP_ENCODING: z.enum(['binary', 'json']).default('binary'),
  /**
   * Messages per consume(n) call. Two batches are alive at once (one handled, one read ahead),
   * and every young-generation GC copies them: 2,000 drained the benchmark 7-10% faster than
   * 5,000 or 1,000 (load/scorer-bench.ts).
   */
  KAFKA_BATCH_SIZE: positiveInt(2000),
  /**
   * The scorer stores state and offsets every KAFKA_COMMIT_INTERVAL_MS once the previous store is
   * done, and holds at most KAFKA_COMMIT_RECORDS records not stored (then it waits for the store).
   */
  KAFKA_COMMIT_RECORDS: positiveInt(250_000),
  KAFKA_COMMIT_INTERVAL_MS: positiveInt(1000),
  /**
   * Worker threads for the line stage (decode, score, store), fed by the consumer on the main
   * thread, plus one for the IMEI stage; 0 runs both stages on the main thread. Unset: the cores
   * less two (the main thread, and V8's and librdkafka's helpers), at most 8; 0 below 4 cores,
   * where threads only add copying (load/scorer-bench.ts).
   */
  SCORER_THREADS: z.coerce
    .number()
    .int()
    .min(0)
    .max(64)
    .default(() => {
      const cores = availableParallelism();
      return cores < 4 ? 0 : Math.min(8, cores - 2);
    }),
  /** Passed to librdkafka as is (TLS/SASL to a managed cluster). */
  KAFKA_SECURITY_PROTOCOL: z.enum(['plaintext', 'ssl', 'sasl_plaintext', 'sasl_ssl']).optional(),
  KAFKA_SASL_MECHANISM: optionalText,
  KAFKA_SASL_USERNAME: optionalText,
  KAFKA_SASL_PASSWORD: optionalText,
  KAFKA_SSL_CA_LOCATION: optionalText,
});

export type Env = z.infer<typeof envSchema>;

export interface Secrets {
  identityPepper: Buffer;
  piiKeys: { id: string; key: Buffer }[];
  fingerprintKeys: { id: string; key: Buffer }[];
  auditHmacKeys: { id: string; key: Buffer }[];
  auditSigningKey: { id: string; privateKey: KeyObject };
}

/** Environment fields holding secrets: they reach the code only through `givenSecrets`. */
type SecretFields =
  | 'IDENTITY_PEPPER'
  | 'PII_KEYS'
  | 'FINGERPRINT_KEYS'
  | 'AUDIT_HMAC_KEY'
  | 'AUDIT_SIGNING_KEY';

export interface Config extends Omit<Env, SecretFields | 'SIMLINE_ROLE'> {
  SIMLINE_ROLE: ProcessRole[];
  /** Secrets given in the environment; the embedded default fills the gaps (see secrets.ts). */
  givenSecrets: Partial<Secrets>;
}

export class ConfigError extends Error {
  constructor(readonly issues: { field: string; message: string }[]) {
    super(`invalid configuration: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`);
    this.name = 'ConfigError';
  }
}

export function decodeKey(text: string): Buffer | undefined {
  const t = text.trim();
  const buf = /^[0-9a-f]{64}$/i.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  return buf.length === 32 ? buf : undefined;
}

function parseKeyring(text: string): { id: string; key: Buffer }[] {
  return text.split(',').map((entry) => {
    const [id = '', k = ''] = entry.split(':');
    return { id, key: decodeKey(k) ?? Buffer.alloc(0) };
  });
}

/** Parses the environment; throws ConfigError naming every bad field. Pure: pass process.env. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = envSchema.safeParse(env);
  const issues = parsed.success
    ? []
    : parsed.error.issues.map((i) => ({
        field: i.path.join('.') || '(root)',
        message: i.message,
      }));
  if (env.NODE_ENV === 'production') {
    const required: [string, string][] = [
      ['DATABASE_URL', 'required in production (the embedded database is for development)'],
      ['IDENTITY_PEPPER', 'required in production'],
      ['PII_KEYS', 'required in production'],
      ['FINGERPRINT_KEYS', 'required in production'],
      ['AUDIT_HMAC_KEY', 'required in production'],
      ['AUDIT_SIGNING_KEY', 'required in production'],
    ];
    for (const [field, message] of required) {
      if (!env[field]?.trim() && !issues.some((i) => i.field === field))
        issues.push({ field, message });
    }
    if (parsed.success && parsed.data.WEBHOOK_ALLOW_INSECURE_URLS)
      issues.push({
        field: 'WEBHOOK_ALLOW_INSECURE_URLS',
        message: 'must be false in production (it lets webhooks reach private addresses)',
      });
  }
  if (
    parsed.success &&
    parsed.data.SIMLINE_ROLE?.includes('scorer') &&
    !parsed.data.KAFKA_BROKERS &&
    !issues.some((i) => i.field === 'KAFKA_BROKERS')
  )
    issues.push({ field: 'KAFKA_BROKERS', message: 'required for the scorer role' });
  if (!parsed.success || issues.length > 0) {
    throw new ConfigError(issues.sort((a, b) => a.field.localeCompare(b.field)));
  }
  const {
    IDENTITY_PEPPER,
    PII_KEYS,
    FINGERPRINT_KEYS,
    AUDIT_HMAC_KEY,
    AUDIT_SIGNING_KEY,
    SIMLINE_ROLE,
    ...rest
  } = parsed.data;
  const roles: ProcessRole[] = SIMLINE_ROLE ?? (rest.KAFKA_BROKERS ? ['api', 'scorer'] : ['api']);
  const givenSecrets: Partial<Secrets> = {};
  if (IDENTITY_PEPPER) givenSecrets.identityPepper = decodeKey(IDENTITY_PEPPER);
  if (PII_KEYS) givenSecrets.piiKeys = parseKeyring(PII_KEYS);
  if (FINGERPRINT_KEYS) givenSecrets.fingerprintKeys = parseKeyring(FINGERPRINT_KEYS);
  if (AUDIT_HMAC_KEY) givenSecrets.auditHmacKeys = parseKeyring(AUDIT_HMAC_KEY);
  const privateKey = AUDIT_SIGNING_KEY ? ed25519PrivateKey(AUDIT_SIGNING_KEY) : undefined;
  if (privateKey) givenSecrets.auditSigningKey = { id: rest.AUDIT_SIGNING_KEY_ID, privateKey };
  return { ...rest, SIMLINE_ROLE: roles, givenSecrets };
}
