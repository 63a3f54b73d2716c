import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createApiKey, createOperator, revokeApiKey } from './access/operators.js';
import { createUser } from './access/users.js';
import { ConfigError, loadConfig } from './config.js';
import { verifyAudit } from './platform/audit.js';
import {
  createCheckpoint,
  verifyWithCheckpoint,
  writeCheckpointFile,
} from './platform/audit-checkpoint.js';
import { ServiceError } from './platform/errors.js';
import { KafkaProducer } from './platform/kafka/client.js';
import { createLogger } from './platform/log.js';
import { addAccountRepresentative, removeAccountRepresentative } from './registration/accounts.js';
import {
  addExemptAccount,
  listAcquisitionLimits,
  listCaps,
  setAcquisitionLimit,
  setCaps,
} from './registration/caps.js';
import { listDocumentPolicies, setDocumentPolicy } from './registration/document-policy.js';
import { rekeyIdentities } from './registration/rekey.js';
import { openRuntime, type Runtime } from './runtime.js';
import { encodeCdr } from './scoring/cdr.js';
import { evaluateAlerts, generateTraffic, type Labels } from './scoring/generator.js';
import { kafkaSettings } from './scoring/kafka-scorer.js';
import { loadThresholds } from './scoring/queries.js';
import { addAllowlisted, setThresholds } from './scoring/service.js';

const USAGE = `usage: npm run cli -- <command> [options]
  operators create --name N --country CC [--mcc-mnc 520-01,520-03]
  keys create --operator ID [--scopes a,b]
  keys revoke --key-id ID
  caps list
  caps set --country CC [--per-operator N] [--national N|none] [--cooling-off-hours H]
  acquisition list
  acquisition set --country CC [--limit N] [--window-days D]
  exemptions add --operator ID --account REF --kind corporate|iot --limit N
  documents list
  documents set --country CC [--nationals TYPES] [--foreigners TYPES] [--residents TYPES]
    (TYPES: comma-separated national_id,id_card,passport, or none)
  identities rekey
    (recomputes every person key, merges persons that are one human, lists persons over a cap)
  representatives add|remove --operator ID --account REF --subscriber JSON
    (JSON: the representative's document as a registration's subscriber takes it)
  audit verify [--checkpoint FILE [--public-key PEM_FILE]]
    (exit 3 when a chain, or the database against a signed checkpoint, is wrong)
  audit checkpoint --out FILE
  audit public-key
    (prints the PEM public key that verifies checkpoints)
  thresholds list
  thresholds set --rule RULE --params '{"field":value,...}'
  allowlist add --msisdn +66... --reason TEXT [--operator ID]
  cdr generate --lines N --hours H --seed S [--out FILE | --kafka TOPIC] [--labels FILE]
  cdr evaluate --labels FILE
  users create --username U --role officer|approver|admin|auditor
    (prints a one-time password; the console asks for a new one at the first login)
Prints the JSON result on stdout; logs go to stderr.`;

class UsageError extends Error {}

const STRING_OPTIONS = [
  'name',
  'country',
  'mcc-mnc',
  'operator',
  'scopes',
  'key-id',
  'per-operator',
  'national',
  'cooling-off-hours',
  'account',
  'kind',
  'nationals',
  'foreigners',
  'residents',
  'limit',
  'window-days',
  'subscriber',
  'rule',
  'params',
  'msisdn',
  'reason',
  'lines',
  'hours',
  'seed',
  'out',
  'kafka',
  'labels',
  'username',
  'role',
  'checkpoint',
  'public-key',
] as const;

type Opts = Record<string, string | undefined>;

function need(opts: Opts, name: string): string {
  const v = opts[name];
  if (v === undefined || v === '') throw new UsageError(`--${name} is required`);
  return v;
}

/** The largest number an option takes (PostgreSQL's integer). */
const MAX_INT = 2_147_483_647;

function int(opts: Opts, name: string): number | undefined {
  const v = opts[name];
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) > MAX_INT)
    throw new UsageError(`--${name} must be a whole number from 0 to ${MAX_INT}`);
  return Number(v);
}

/**
 * A file's path relative to the directory the command was started from: `npm run` runs
 * scripts from the package's root, and says where it was started in INIT_CWD.
 */
function fromCaller(file: string): string {
  return resolve(process.env.INIT_CWD ?? process.cwd(), file);
}

/** A labels file of `cdr generate`, checked enough that evaluating it cannot fail midway. */
function readLabels(file: string): Labels {
  let labels: Partial<Labels>;
  try {
    labels = JSON.parse(readFileSync(file, 'utf8')) as Partial<Labels>;
  } catch (err) {
    throw new UsageError(`--labels: cannot read ${file} (${(err as Error).message})`);
  }
  if (
    typeof labels !== 'object' ||
    labels === null ||
    typeof labels.start !== 'string' ||
    Number.isNaN(Date.parse(labels.start)) ||
    typeof labels.positives !== 'object' ||
    labels.positives === null ||
    !Array.isArray(labels.hardNegatives)
  )
    throw new UsageError(`--labels: ${file} is not a labels file written by cdr generate`);
  return labels as Labels;
}

const list = (v: string | undefined) =>
  v
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** `text` is printed as is instead of `result` as JSON. */
type Command = (
  rt: Runtime,
  opts: Opts,
) => Promise<{ result: unknown; exitCode?: number; text?: string }>;

/** A PEM public key from a file, or the public half of this instance's signing key. */
function checkpointPublicKey(rt: Runtime, file: string | undefined): KeyObject {
  if (file === undefined) return createPublicKey(rt.deps.secrets.auditSigningKey.privateKey);
  try {
    return createPublicKey(readFileSync(fromCaller(file), 'utf8'));
  } catch (err) {
    throw new UsageError(
      `--public-key: cannot read a PEM public key from ${file} (${(err as Error).message})`,
    );
  }
}

const COMMANDS: Record<string, Command> = {
  'operators create': async (rt, o) => ({
    result: await createOperator({
      ctx: adminCtx(rt),
      input: { name: need(o, 'name'), country: need(o, 'country'), mccMnc: list(o['mcc-mnc']) },
    }),
  }),
  'keys create': async (rt, o) => ({
    result: await createApiKey({
      ctx: adminCtx(rt),
      input: { operatorId: need(o, 'operator'), scopes: list(o.scopes) },
    }),
  }),
  'keys revoke': async (rt, o) => ({
    result: await revokeApiKey({ ctx: adminCtx(rt), input: { keyId: need(o, 'key-id') } }),
  }),
  'caps list': async (rt) => ({ result: await listCaps(rt.deps.db) }),
  'caps set': async (rt, o) => {
    const national = o.national === 'none' ? null : int(o, 'national');
    return {
      result: await setCaps({
        ctx: adminCtx(rt),
        input: {
          country: need(o, 'country'),
          perOperator: int(o, 'per-operator'),
          national,
          coolingOffHours: int(o, 'cooling-off-hours'),
        },
      }),
    };
  },
  'documents list': async (rt) => ({ result: await listDocumentPolicies(rt.deps.db) }),
  'documents set': async (rt, o) => {
    const types = (v: string | undefined) => (v === 'none' ? [] : list(v));
    return {
      result: await setDocumentPolicy({
        ctx: adminCtx(rt),
        input: {
          country: need(o, 'country'),
          nationalDocuments: types(o.nationals),
          foreignDocuments: types(o.foreigners),
          residentDocuments: types(o.residents),
        },
      }),
    };
  },
  'identities rekey': async (rt) => ({
    result: await rekeyIdentities({
      ctx: {
        ...adminCtx(rt),
        keyring: { keys: rt.deps.secrets.piiKeys },
        identityPepper: rt.deps.secrets.identityPepper,
      },
    }),
  }),
  'acquisition list': async (rt) => ({ result: await listAcquisitionLimits(rt.deps.db) }),
  'acquisition set': async (rt, o) => ({
    result: await setAcquisitionLimit({
      ctx: adminCtx(rt),
      input: {
        country: need(o, 'country'),
        maxNewSims: int(o, 'limit'),
        windowDays: int(o, 'window-days'),
      },
    }),
  }),
  'representatives add': async (rt, o) => ({
    result: await addAccountRepresentative({
      ctx: representativeCtx(rt),
      input: representativeInput(o),
    }),
  }),
  'representatives remove': async (rt, o) => ({
    result: await removeAccountRepresentative({
      ctx: representativeCtx(rt),
      input: representativeInput(o),
    }),
  }),
  'exemptions add': async (rt, o) => ({
    result: await addExemptAccount({
      ctx: adminCtx(rt),
      input: {
        operatorId: need(o, 'operator'),
        accountRef: need(o, 'account'),
        kind: need(o, 'kind'),
        simLimit: int(o, 'limit') ?? 0,
      },
    }),
  }),
  'thresholds list': async (rt) => ({
    result: await loadThresholds(rt.deps.db),
  }),
  'thresholds set': async (rt, o) => {
    let params: unknown;
    try {
      params = JSON.parse(need(o, 'params'));
    } catch {
      throw new UsageError('--params must be a JSON object');
    }
    if (typeof params !== 'object' || params === null || Array.isArray(params))
      throw new UsageError('--params must be a JSON object');
    return {
      result: await setThresholds({
        ctx: adminCtx(rt),
        input: { rule: need(o, 'rule'), params: params as Record<string, unknown> },
      }),
    };
  },
  'allowlist add': async (rt, o) => ({
    result: await addAllowlisted({
      ctx: adminCtx(rt),
      input: { msisdn: need(o, 'msisdn'), reason: need(o, 'reason'), operatorId: o.operator },
    }),
  }),
  'cdr evaluate': async (rt, o) => {
    const labels = readLabels(fromCaller(need(o, 'labels')));
    const alerts = await rt.deps.db
      .selectFrom('scoring_alerts')
      .select(['msisdn', 'rule', 'imei'])
      .where('window_end', '>', new Date(labels.start))
      .execute();
    return { result: evaluateAlerts(labels, alerts) };
  },
  'users create': async (rt, o) => {
    const user = await createUser({
      ctx: adminCtx(rt),
      input: { username: need(o, 'username'), role: need(o, 'role') },
    });
    return { result: { ...user, mustChangePassword: true } };
  },
  'audit verify': async (rt, o) => {
    if (o.checkpoint === undefined && o['public-key'] !== undefined)
      throw new UsageError('--public-key needs --checkpoint');
    let text: string | undefined;
    if (o.checkpoint !== undefined) {
      try {
        text = readFileSync(fromCaller(o.checkpoint), 'utf8');
      } catch (err) {
        throw new UsageError(
          `--checkpoint: cannot read ${o.checkpoint} (${(err as Error).message})`,
        );
      }
    }
    const result =
      text === undefined
        ? await verifyAudit(rt.deps.db)
        : await verifyWithCheckpoint(rt.deps.db, text, checkpointPublicKey(rt, o['public-key']));
    return { result, exitCode: result.ok ? 0 : 3 };
  },
  'audit checkpoint': async (rt, o) => {
    const out = fromCaller(need(o, 'out'));
    const cp = await createCheckpoint(rt.deps.db, rt.deps.secrets.auditSigningKey, rt.deps.clock());
    writeCheckpointFile(out, cp);
    return {
      result: {
        file: out,
        createdAt: cp.createdAt,
        shards: cp.shards.length,
        rows: cp.rows,
        signingKeyId: cp.signingKeyId,
        publicKeyFingerprint: cp.publicKeyFingerprint,
      },
    };
  },
  'audit public-key': async (rt) => ({
    result: null,
    text: createPublicKey(rt.deps.secrets.auditSigningKey.privateKey)
      .export({ format: 'pem', type: 'spki' })
      .toString(),
  }),
};

function adminCtx(rt: Runtime) {
  return { db: rt.deps.db, actor: `cli:${userInfo().username}`, now: rt.deps.clock() };
}

function representativeCtx(rt: Runtime) {
  return {
    ...adminCtx(rt),
    identityPepper: rt.deps.secrets.identityPepper,
    keyring: { keys: rt.deps.secrets.piiKeys },
  };
}

function representativeInput(o: Opts) {
  let subscriber: unknown;
  try {
    subscriber = JSON.parse(need(o, 'subscriber'));
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError('--subscriber must be a JSON object');
  }
  return { operatorId: need(o, 'operator'), accountRef: need(o, 'account'), subscriber };
}

/** `cdr generate` needs no database: it writes NDJSON to a file or produces to Kafka. */
async function generate(o: Opts): Promise<number> {
  try {
    const lines = int(o, 'lines') ?? 1000;
    if (lines < 10) throw new UsageError('--lines must be at least 10 (each pattern is planted)');
    const hours = int(o, 'hours') ?? 26;
    const seed = int(o, 'seed') ?? 1;
    if (hours < 14) throw new UsageError('--hours must be at least 14');
    if ((o.out === undefined) === (o.kafka === undefined))
      throw new UsageError('give exactly one of --out FILE or --kafka TOPIC');
    const { records, labels } = generateTraffic({ lines, hours, seed });
    const labelsFile = fromCaller(o.labels ?? `${o.out ?? `cdr-${seed}`}.labels.json`);
    if (o.out !== undefined) {
      writeFileSync(fromCaller(o.out), `${records.map(encodeCdr).join('\n')}\n`);
    } else {
      const config = loadConfig(process.env);
      if (!config.KAFKA_BROKERS) throw new UsageError('--kafka needs KAFKA_BROKERS');
      const producer = await KafkaProducer.connect(kafkaSettings(config), 'simline-cli');
      for (const r of records) producer.produce(o.kafka as string, r.msisdn, encodeCdr(r));
      await producer.flush(120_000);
      await producer.disconnect();
    }
    writeFileSync(labelsFile, `${JSON.stringify(labels, null, 2)}\n`);
    process.stdout.write(
      `${JSON.stringify({ records: records.length, lines: labels.lines, labels: labelsFile }, null, 2)}\n`,
    );
    return 0;
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
}

function parseCli() {
  return parseArgs({
    allowPositionals: true,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      ...Object.fromEntries(STRING_OPTIONS.map((o) => [o, { type: 'string' as const }])),
    },
  });
}

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parseCli>;
  try {
    parsed = parseCli();
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : err}\n${USAGE}\n`);
    return 2;
  }
  const { positionals, values } = parsed;
  const name = positionals.slice(0, 2).join(' ');
  const command = COMMANDS[name];
  const opts: Opts = {};
  for (const [k, v] of Object.entries(values)) if (typeof v === 'string') opts[k] = v;
  if (name === 'cdr generate' && !values.help) return generate(opts);
  if (values.help || !command) {
    process.stderr.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const i of err.issues)
      process.stderr.write(`invalid configuration: ${i.field}: ${i.message}\n`);
    return 1;
  }
  const log = createLogger({
    level: config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL,
    destination: 2,
  });
  const rt = await openRuntime(config, log);
  try {
    const { result, exitCode = 0, text } = await command(rt, opts);
    process.stdout.write(text ?? `${JSON.stringify(result, null, 2)}\n`);
    return exitCode;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n${USAGE}\n`);
      return 2;
    }
    if (err instanceof ServiceError) {
      process.stderr.write(
        `${JSON.stringify({ code: err.code, detail: err.detail, ...err.extra })}\n`,
      );
      return 1;
    }
    throw err;
  } finally {
    await rt.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(
      `simline cli: ${err instanceof Error ? (process.env.DEBUG ? err.stack : err.message) : err}\n`,
    );
    process.exit(1);
  },
);
