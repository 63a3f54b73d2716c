import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { createApiKey, createBank, createOperator, revokeApiKey } from './access/operators.js';
import { findOperator, listApiKeys, listOperators } from './access/queries.js';
import { CONSOLE_ROLES } from './access/roles.js';
import { createUser, listUsers } from './access/users.js';
import { PushRefused, PushUnreachable, pushCdrs, renderProgress } from './cli/cdr-push.js';
import {
  type Command,
  type CommandResult,
  command,
  commandHelp,
  fromCaller,
  int,
  list,
  need,
  type Opts,
  parseCommandLine,
  str,
  UsageError,
  wholeNumber,
} from './cli/command.js';
import { ConfigError, loadConfig } from './config.js';
import { addPartner, listPartners } from './federation/partners.js';
import { verifyAudit } from './platform/audit.js';
import {
  createCheckpoint,
  verifyWithCheckpoint,
  writeCheckpointFile,
} from './platform/audit-checkpoint.js';
import { NotFoundError, ServiceError } from './platform/errors.js';
import { KafkaProducer } from './platform/kafka/client.js';
import { createLogger } from './platform/log.js';
import { addAccountRepresentative, removeAccountRepresentative } from './registration/accounts.js';
import {
  addExemptAccount,
  listAcquisitionLimits,
  listCaps,
  listExemptAccounts,
  setAcquisitionLimit,
  setCaps,
} from './registration/caps.js';
import { listDocumentPolicies, setDocumentPolicy } from './registration/document-policy.js';
import { rekeyIdentities } from './registration/rekey.js';
import { openRuntime, type Runtime } from './runtime.js';
import { encodeCdr } from './scoring/cdr.js';
import { MAX_CDRS_PER_REQUEST } from './scoring/contract.js';
import {
  evaluateCampaigns,
  renderCampaignEvaluation,
  renderLineRuleQuality,
} from './scoring/evaluation.js';
import { evaluateAlerts, generateTraffic, type Labels } from './scoring/generator.js';
import type { CampaignOptions } from './scoring/generator-campaigns.js';
import { listGroupAlertMembers } from './scoring/group-queries.js';
import { kafkaSettings } from './scoring/kafka-scorer.js';
import { listLineAlertSubjects, loadThresholds } from './scoring/queries.js';
import { addAllowlisted, setThresholds } from './scoring/service.js';
import {
  listListedIdentityPolicies,
  setListedIdentityPolicy,
} from './watchlist/matching/policy.js';
import { addWarninglistEntry, WARNING_REASONS, warninglist } from './watchlist/warninglist.js';

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
    !Array.isArray(labels.hardNegatives) ||
    (labels.campaigns !== undefined &&
      (!Array.isArray(labels.campaigns) ||
        !labels.campaigns.every((c) => typeof c?.shape === 'string' && Array.isArray(c.lines)) ||
        typeof labels.groupHardNegatives !== 'object' ||
        labels.groupHardNegatives === null ||
        !Object.values(labels.groupHardNegatives).every(Array.isArray) ||
        !Array.isArray(labels.normalLines)))
  )
    throw new UsageError(`--labels: ${file} is not a labels file written by cdr generate`);
  return labels as Labels;
}

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

const OPERATOR = { type: 'string', value: 'ID', description: 'the operator id (op_...)' } as const;
const COUNTRY = {
  type: 'string',
  value: 'CC',
  required: true,
  description: 'the country: TH, KH, LA, MM, VN or CN',
} as const;
const DOCUMENT_TYPES =
  'comma-separated national_id, id_card, passport, or none; not given keeps the current list';
const REPRESENTATIVE_OPTIONS = {
  operator: { ...OPERATOR, required: true },
  account: { type: 'string', value: 'REF', required: true, description: "the account's reference" },
  subscriber: {
    type: 'string',
    value: 'JSON',
    required: true,
    description: "the representative's document, as a registration's subscriber takes it",
  },
} as const;
const REPRESENTATIVE_EXAMPLE = `--operator op_... --account ACME-001 --subscriber '{"documentType":"national_id","documentCountry":"TH","documentNumber":"1101700230708","nationality":"TH","fullName":"Somchai Jaidee","dateOfBirth":"1985-03-14"}'`;

/** Share of the generated records that are data records (IP detail records). */
const CDR_DATA_SHARE = 0.2;

/** Where `cdr generate` writes when given neither --out nor --kafka: outside the repository. */
const DEFAULT_CDR_FILE = join(tmpdir(), 'simline-cdrs.ndjson');

/** `cdr generate --campaigns`: campaigns per shape, their size, hard negatives per kind. */
function campaignOptions(o: Opts): CampaignOptions {
  const perShape = int(o, 'per-shape') ?? 2;
  if (perShape < 1) throw new UsageError('--per-shape must be at least 1');
  const members = str(o, 'members') ?? '20-150';
  const m = /^(\d+)-(\d+)$/.exec(members);
  const lo = Number(m?.[1]);
  const hi = Number(m?.[2]);
  if (m === null || lo < 2 || hi < lo || hi > 10_000)
    throw new UsageError('--members must be MIN-MAX, 2 <= MIN <= MAX <= 10000');
  const hardNegatives = int(o, 'hard-negatives') ?? 100;
  return { perShape, members: [lo, hi], hardNegatives };
}

async function generate(o: Opts): Promise<CommandResult> {
  const lines = int(o, 'lines') ?? 1000;
  if (lines < 10) throw new UsageError('--lines must be at least 10 (each pattern is planted)');
  const hours = int(o, 'hours') ?? 26;
  const seed = int(o, 'seed') ?? 1;
  if (hours < 14) throw new UsageError('--hours must be at least 14');
  const topic = str(o, 'kafka');
  if (str(o, 'out') !== undefined && topic !== undefined)
    throw new UsageError('--out and --kafka: give one of them');
  const out = topic === undefined ? fromCaller(str(o, 'out') ?? DEFAULT_CDR_FILE) : undefined;
  const { records, labels } = generateTraffic({
    lines,
    hours,
    seed,
    dataShare: CDR_DATA_SHARE,
    campaigns: o.campaigns === true ? campaignOptions(o) : undefined,
  });
  const labelsFile = fromCaller(
    str(o, 'labels') ?? `${out ?? join(tmpdir(), `simline-cdr-${seed}`)}.labels.json`,
  );
  if (out !== undefined) {
    writeFileSync(out, `${records.map(encodeCdr).join('\n')}\n`);
  } else {
    let config: ReturnType<typeof loadConfig>;
    try {
      config = loadConfig(process.env);
    } catch (err) {
      if (err instanceof ConfigError) throw new UsageError(err.message);
      throw err;
    }
    if (!config.KAFKA_BROKERS) throw new UsageError('--kafka needs KAFKA_BROKERS');
    const producer = await KafkaProducer.connect(kafkaSettings(config), 'simline-cli');
    for (const r of records) producer.produce(topic as string, r.msisdn, encodeCdr(r));
    await producer.flush(120_000);
    await producer.disconnect();
  }
  writeFileSync(labelsFile, `${JSON.stringify(labels, null, 2)}\n`);
  return {
    result: {
      records: records.length,
      lines: labels.lines,
      ...(out === undefined ? {} : { out }),
      labels: labelsFile,
    },
  };
}

/**
 * Stored alerts against the labels: per planted line rule, and with campaign labels per group
 * rule and per kind of line, as tables or JSON.
 */
async function evaluate(o: Opts, rt: Runtime): Promise<CommandResult> {
  const labels = readLabels(fromCaller(need(o, 'labels')));
  const since = new Date(labels.start);
  const alerts = await listLineAlertSubjects(rt.deps.db, { since });
  const lineRules = evaluateAlerts(labels, alerts);
  const campaigns =
    labels.campaigns === undefined
      ? undefined
      : evaluateCampaigns(labels, [
          ...alerts,
          ...(await listGroupAlertMembers(rt.deps.db, { since })),
        ]);
  const result = campaigns === undefined ? lineRules : { ...lineRules, campaigns };
  if (o.json === true) return { result };
  const text = renderLineRuleQuality(lineRules.rules, lineRules.hardNegativesFlagged);
  return {
    result,
    text: campaigns === undefined ? text : `${text}\n${renderCampaignEvaluation(campaigns)}`,
  };
}

async function push(o: Opts): Promise<CommandResult> {
  const apiKey = str(o, 'key') ?? process.env.SIMLINE_API_KEY;
  if (!apiKey) throw new UsageError('--key is required (or set SIMLINE_API_KEY)');
  const chunk = int(o, 'chunk') ?? MAX_CDRS_PER_REQUEST;
  if (chunk < 1 || chunk > MAX_CDRS_PER_REQUEST)
    throw new UsageError(`--chunk must be from 1 to ${MAX_CDRS_PER_REQUEST}`);
  const url = str(o, 'url') ?? 'http://localhost:8080';
  if (!URL.canParse(url)) throw new UsageError(`--url: ${url} is not a URL`);
  const file = fromCaller(need(o, 'file'));
  const tty = process.stderr.isTTY === true;
  try {
    const result = await pushCdrs({
      file,
      url,
      apiKey,
      chunk,
      onProgress: tty
        ? (p) => process.stderr.write(`\r${renderProgress(p, Date.now())}\x1b[K`)
        : undefined,
    });
    if (tty) process.stderr.write('\n');
    return { result };
  } catch (err) {
    if (tty) process.stderr.write('\n');
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new UsageError(`--file: cannot read ${file}`);
    if (err instanceof PushUnreachable) {
      process.stderr.write(`${err.message}\n`);
      return { result: null, text: '', exitCode: 1 };
    }
    if (err instanceof PushRefused) {
      const problem =
        typeof err.problem === 'object' && err.problem !== null
          ? err.problem
          : { status: err.status, detail: err.problem };
      process.stderr.write(`${JSON.stringify({ ...problem, line: err.firstLine })}\n`);
      return { result: null, text: '', exitCode: 1 };
    }
    throw err;
  }
}

/** Every command, in the order `simline --help` lists them. */
const COMMANDS: readonly Command[] = [
  command({
    name: 'operators list',
    summary: 'List operators with their countries and networks',
    example: 'simline operators list',
    run: async ({ runtime }) => ({ result: await listOperators((await runtime()).deps.db) }),
  }),
  command({
    name: 'operators create',
    summary: 'Create an operator and its first API key (printed once)',
    options: {
      name: { type: 'string', value: 'NAME', required: true, description: "the operator's name" },
      country: COUNTRY,
      'mcc-mnc': {
        type: 'string',
        value: 'LIST',
        description: 'comma-separated MCC-MNC codes of its networks, e.g. 520-01,520-03',
      },
    },
    example: 'simline operators create --name "Example Mobile" --country TH --mcc-mnc 520-01',
    run: async ({ opts: o, runtime }) => ({
      result: await createOperator({
        ctx: adminCtx(await runtime()),
        input: {
          name: need(o, 'name'),
          country: need(o, 'country'),
          mccMnc: list(str(o, 'mcc-mnc')),
        },
      }),
    }),
  }),
  command({
    name: 'banks create',
    summary: 'Create a bank (watchlist access only) and its first API key (printed once)',
    options: {
      name: { type: 'string', value: 'NAME', required: true, description: "the bank's name" },
      country: COUNTRY,
      'bank-code': {
        type: 'string',
        value: 'CODE',
        required: true,
        description: 'its BIC or national bank code, e.g. KASITHBK',
      },
    },
    example: 'simline banks create --name "Example Bank" --country TH --bank-code KASITHBK',
    run: async ({ opts: o, runtime }) => ({
      result: await createBank({
        ctx: adminCtx(await runtime()),
        input: {
          name: need(o, 'name'),
          country: need(o, 'country'),
          bankCode: need(o, 'bank-code'),
        },
      }),
    }),
  }),
  command({
    name: 'partners add',
    summary:
      "Add a partner (another country's instance) and its API key for this TAXII server (printed once)",
    options: {
      country: { ...COUNTRY, description: "the partner's country, not this instance's" },
      name: { type: 'string', value: 'NAME', required: true, description: "the partner's name" },
      'taxii-url': {
        type: 'string',
        value: 'URL',
        description:
          "pull the partner's TAXII collection: its discovery URL or API root (with --key)",
      },
      key: {
        type: 'string',
        value: 'KEY',
        description: 'the API key the partner issued to this instance (stored sealed)',
      },
    },
    example:
      'simline partners add --country TH --name "Thailand simline" --taxii-url https://simline.example.th/taxii2/ --key slk_...',
    run: async ({ opts: o, runtime }) => {
      const taxiiUrl = str(o, 'taxii-url');
      const key = str(o, 'key');
      if ((taxiiUrl === undefined) !== (key === undefined))
        throw new UsageError('--taxii-url and --key go together');
      const rt = await runtime();
      return {
        result: await addPartner({
          ctx: {
            ...adminCtx(rt),
            country: rt.deps.config.SIMLINE_COUNTRY,
            keyring: { keys: rt.deps.secrets.piiKeys },
          },
          input: {
            country: need(o, 'country'),
            name: need(o, 'name'),
            ...(taxiiUrl !== undefined && key !== undefined ? { pull: { taxiiUrl, key } } : {}),
          },
        }),
      };
    },
  }),
  command({
    name: 'partners list',
    summary:
      "List the partners with their countries and, for those pulled, the pull's lag (p50/p95), counts, cursor and last error",
    example: 'simline partners list',
    run: async ({ runtime }) => ({ result: await listPartners((await runtime()).deps.db) }),
  }),
  command({
    name: 'warninglist add',
    summary: 'Put a value on the warninglist, so that listing it is refused (409 warninglisted)',
    options: {
      type: {
        type: 'string',
        value: 'TYPE',
        required: true,
        description: 'msisdn, imei, bank_account, ip, domain or url',
      },
      value: {
        type: 'string',
        value: 'VALUE',
        required: true,
        description: 'the value, any spelling',
      },
      'bank-code': {
        type: 'string',
        value: 'CODE',
        description: 'bank_account only: its bank code',
      },
      reason: {
        type: 'string',
        value: 'REASON',
        required: true,
        description: WARNING_REASONS.join(', '),
      },
      description: { type: 'string', value: 'TEXT', required: true, description: 'what it is' },
      source: {
        type: 'string',
        value: 'TEXT',
        required: true,
        description: 'where it was verified (URL or document)',
      },
    },
    example:
      'simline warninglist add --type msisdn --value +6621234567 --reason approved_bulk_caller --description "OTP sender of a bank" --source "operator approval letter"',
    run: async ({ opts: o, runtime }) => ({
      result: await addWarninglistEntry({
        ctx: adminCtx(await runtime()),
        input: {
          type: need(o, 'type'),
          value: need(o, 'value'),
          bankCode: str(o, 'bank-code'),
          reason: need(o, 'reason'),
          description: need(o, 'description'),
          source: need(o, 'source'),
        },
      }),
    }),
  }),
  command({
    name: 'warninglist list',
    summary: 'List the warninglist: values that cannot be listed, with why and where verified',
    example: 'simline warninglist list',
    run: async ({ runtime }) => ({ result: await warninglist((await runtime()).deps.db) }),
  }),
  command({
    name: 'keys list',
    summary: "List an operator's API keys (ids, scopes, issued and revoked times; never the keys)",
    options: { operator: { ...OPERATOR, required: true } },
    example: 'simline keys list --operator op_...',
    run: async ({ opts: o, runtime }) => {
      const { db } = (await runtime()).deps;
      const operatorId = need(o, 'operator');
      if (!(await findOperator(db, { operatorId })))
        throw new NotFoundError(`operator ${operatorId}`);
      return { result: await listApiKeys(db, { operatorId }) };
    },
  }),
  command({
    name: 'keys create',
    summary: 'Issue another API key to an operator (printed once)',
    options: {
      operator: { ...OPERATOR, required: true },
      scopes: {
        type: 'string',
        value: 'LIST',
        description: 'comma-separated scopes, e.g. cdrs:write,alerts:read; default all',
      },
    },
    example: 'simline keys create --operator op_... --scopes cdrs:write',
    run: async ({ opts: o, runtime }) => ({
      result: await createApiKey({
        ctx: adminCtx(await runtime()),
        input: { operatorId: need(o, 'operator'), scopes: list(str(o, 'scopes')) },
      }),
    }),
  }),
  command({
    name: 'keys revoke',
    summary: 'Revoke an API key',
    options: {
      'key-id': { type: 'string', value: 'ID', required: true, description: 'the key id' },
    },
    example: 'simline keys revoke --key-id key_...',
    run: async ({ opts: o, runtime }) => ({
      result: await revokeApiKey({
        ctx: adminCtx(await runtime()),
        input: { keyId: need(o, 'key-id') },
      }),
    }),
  }),
  command({
    name: 'caps list',
    summary: "List each country's SIM caps and their sources",
    example: 'simline caps list',
    run: async ({ runtime }) => ({ result: await listCaps((await runtime()).deps.db) }),
  }),
  command({
    name: 'caps set',
    summary: "Change a country's SIM caps; options not given keep their value",
    options: {
      country: COUNTRY,
      'per-operator': {
        type: 'int',
        value: 'N',
        description: 'SIMs a person may hold with one operator',
      },
      national: {
        type: 'string',
        value: 'N|none',
        description: 'SIMs a person may hold across operators, or none for no national cap',
      },
      'cooling-off-hours': {
        type: 'int',
        value: 'H',
        description: 'hours a person waits after a registration before the next one; 0 for none',
      },
    },
    example: 'simline caps set --country TH --per-operator 5 --national none',
    run: async ({ opts: o, runtime }) => {
      const raw = str(o, 'national');
      const national =
        raw === 'none' ? null : raw === undefined ? undefined : wholeNumber('national', raw);
      return {
        result: await setCaps({
          ctx: adminCtx(await runtime()),
          input: {
            country: need(o, 'country'),
            perOperator: int(o, 'per-operator'),
            national,
            coolingOffHours: int(o, 'cooling-off-hours'),
          },
        }),
      };
    },
  }),
  command({
    name: 'acquisition list',
    summary: "List each country's acquisition limit (new SIMs per person in a rolling window)",
    example: 'simline acquisition list',
    run: async ({ runtime }) => ({
      result: await listAcquisitionLimits((await runtime()).deps.db),
    }),
  }),
  command({
    name: 'acquisition set',
    summary: "Change a country's acquisition limit; options not given keep their value",
    options: {
      country: COUNTRY,
      limit: { type: 'int', value: 'N', description: 'new SIMs a person may take in the window' },
      'window-days': { type: 'int', value: 'D', description: 'the rolling window, in days' },
    },
    example: 'simline acquisition set --country KH --limit 3 --window-days 30',
    run: async ({ opts: o, runtime }) => ({
      result: await setAcquisitionLimit({
        ctx: adminCtx(await runtime()),
        input: {
          country: need(o, 'country'),
          maxNewSims: int(o, 'limit'),
          windowDays: int(o, 'window-days'),
        },
      }),
    }),
  }),
  command({
    name: 'exemptions list',
    summary: 'List approved corporate and IoT accounts, with how many representatives each has',
    options: { operator: { ...OPERATOR, description: 'only this operator’s accounts' } },
    example: 'simline exemptions list --operator op_...',
    run: async ({ opts: o, runtime }) => ({
      result: await listExemptAccounts((await runtime()).deps.db, {
        operatorId: str(o, 'operator'),
      }),
    }),
  }),
  command({
    name: 'exemptions add',
    summary: 'Approve a corporate or IoT account whose SIMs count against its own limit',
    options: {
      operator: { ...OPERATOR, required: true },
      account: {
        type: 'string',
        value: 'REF',
        required: true,
        description: "the account's reference",
      },
      kind: {
        type: 'string',
        value: 'corporate|iot',
        required: true,
        description: 'the kind of account',
      },
      limit: { type: 'int', value: 'N', required: true, description: 'SIMs the account may hold' },
    },
    example:
      'simline exemptions add --operator op_... --account ACME-001 --kind corporate --limit 500',
    run: async ({ opts: o, runtime }) => ({
      result: await addExemptAccount({
        ctx: adminCtx(await runtime()),
        input: {
          operatorId: need(o, 'operator'),
          accountRef: need(o, 'account'),
          kind: need(o, 'kind'),
          simLimit: int(o, 'limit') ?? 0,
        },
      }),
    }),
  }),
  command({
    name: 'representatives add',
    summary: 'Let a person register SIMs under an exempt account',
    options: REPRESENTATIVE_OPTIONS,
    example: `simline representatives add ${REPRESENTATIVE_EXAMPLE}`,
    run: async ({ opts: o, runtime }) => ({
      result: await addAccountRepresentative({
        ctx: representativeCtx(await runtime()),
        input: representativeInput(o),
      }),
    }),
  }),
  command({
    name: 'representatives remove',
    summary: "Remove a person from an exempt account's representatives",
    options: REPRESENTATIVE_OPTIONS,
    example: `simline representatives remove ${REPRESENTATIVE_EXAMPLE}`,
    run: async ({ opts: o, runtime }) => ({
      result: await removeAccountRepresentative({
        ctx: representativeCtx(await runtime()),
        input: representativeInput(o),
      }),
    }),
  }),
  command({
    name: 'documents list',
    summary: 'List which identity documents each country accepts, by subscriber kind',
    example: 'simline documents list',
    run: async ({ runtime }) => ({
      result: await listDocumentPolicies((await runtime()).deps.db),
    }),
  }),
  command({
    name: 'documents set',
    summary: 'Change which identity documents a country accepts',
    options: {
      country: COUNTRY,
      nationals: {
        type: 'string',
        value: 'TYPES',
        description: `for nationals: ${DOCUMENT_TYPES}`,
      },
      foreigners: {
        type: 'string',
        value: 'TYPES',
        description: `for foreigners: ${DOCUMENT_TYPES}`,
      },
      residents: {
        type: 'string',
        value: 'TYPES',
        description: `for residents: ${DOCUMENT_TYPES}`,
      },
    },
    example: 'simline documents set --country VN --nationals id_card --foreigners passport',
    run: async ({ opts: o, runtime }) => {
      const types = (v: string | undefined) => (v === 'none' ? [] : list(v));
      return {
        result: await setDocumentPolicy({
          ctx: adminCtx(await runtime()),
          input: {
            country: need(o, 'country'),
            nationalDocuments: types(str(o, 'nationals')),
            foreignDocuments: types(str(o, 'foreigners')),
            residentDocuments: types(str(o, 'residents')),
          },
        }),
      };
    },
  }),
  command({
    name: 'identities rekey',
    summary: 'Recompute every person key, merging persons that are one human',
    details: 'Lists the persons that hold more SIMs than a cap allows after the merge.',
    example: 'simline identities rekey',
    run: async ({ runtime }) => {
      const rt = await runtime();
      return {
        result: await rekeyIdentities({
          ctx: {
            ...adminCtx(rt),
            keyring: { keys: rt.deps.secrets.piiKeys },
            identityPepper: rt.deps.secrets.identityPepper,
          },
        }),
      };
    },
  }),
  command({
    name: 'audit verify',
    summary: 'Verify the audit chains, and the database against a signed checkpoint if given',
    details: 'Exits 3 when a chain, or the database against the checkpoint, is wrong.',
    options: {
      checkpoint: {
        type: 'string',
        value: 'FILE',
        description: 'a checkpoint written by audit checkpoint',
      },
      'public-key': {
        type: 'string',
        value: 'PEM_FILE',
        description: "the PEM public key that verifies the checkpoint; default this instance's",
      },
    },
    example: 'simline audit verify --checkpoint checkpoint.json --public-key audit.pem',
    run: async ({ opts: o, runtime }) => {
      const checkpoint = str(o, 'checkpoint');
      const publicKey = str(o, 'public-key');
      if (checkpoint === undefined && publicKey !== undefined)
        throw new UsageError('--public-key needs --checkpoint');
      let text: string | undefined;
      if (checkpoint !== undefined) {
        try {
          text = readFileSync(fromCaller(checkpoint), 'utf8');
        } catch (err) {
          throw new UsageError(
            `--checkpoint: cannot read ${checkpoint} (${(err as Error).message})`,
          );
        }
      }
      const rt = await runtime();
      const result =
        text === undefined
          ? await verifyAudit(rt.deps.db)
          : await verifyWithCheckpoint(rt.deps.db, text, checkpointPublicKey(rt, publicKey));
      return { result, exitCode: result.ok ? 0 : 3 };
    },
  }),
  command({
    name: 'audit checkpoint',
    summary: 'Write a signed checkpoint of every audit chain to a file',
    options: {
      out: { type: 'string', value: 'FILE', required: true, description: 'the file to write' },
    },
    example: 'simline audit checkpoint --out checkpoint.json',
    run: async ({ opts: o, runtime }) => {
      const out = fromCaller(need(o, 'out'));
      const rt = await runtime();
      const cp = await createCheckpoint(
        rt.deps.db,
        rt.deps.secrets.auditSigningKey,
        rt.deps.clock(),
      );
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
  }),
  command({
    name: 'audit public-key',
    summary: 'Print the PEM public key that verifies checkpoints (PEM, not JSON)',
    example: 'simline audit public-key > audit.pem',
    run: async ({ runtime }) => ({
      result: null,
      text: createPublicKey((await runtime()).deps.secrets.auditSigningKey.privateKey)
        .export({ format: 'pem', type: 'spki' })
        .toString(),
    }),
  }),
  command({
    name: 'thresholds list',
    summary: "List each scoring rule's thresholds",
    example: 'simline thresholds list',
    run: async ({ runtime }) => ({ result: await loadThresholds((await runtime()).deps.db) }),
  }),
  command({
    name: 'thresholds set',
    summary: "Change a scoring rule's thresholds at runtime; fields not given keep their value",
    options: {
      rule: {
        type: 'string',
        value: 'RULE',
        required: true,
        description: 'the rule code, e.g. wangiri',
      },
      params: {
        type: 'string',
        value: 'JSON',
        required: true,
        description: 'a JSON object of the thresholds to change',
      },
    },
    example: `simline thresholds set --rule wangiri --params '{"callsAtLeast":12}'`,
    run: async ({ opts: o, runtime }) => {
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
          ctx: adminCtx(await runtime()),
          input: { rule: need(o, 'rule'), params: params as Record<string, unknown> },
        }),
      };
    },
  }),
  command({
    name: 'allowlist add',
    summary: 'Exempt a line from scoring alerts (e.g. a bank’s call centre)',
    options: {
      msisdn: {
        type: 'string',
        value: '+66...',
        required: true,
        description: 'the line, in E.164',
      },
      reason: {
        type: 'string',
        value: 'TEXT',
        required: true,
        description: 'why, for the audit trail',
      },
      operator: { ...OPERATOR, description: 'only for this operator’s records; default all' },
    },
    example: 'simline allowlist add --msisdn +6621234567 --reason "bank call centre"',
    run: async ({ opts: o, runtime }) => ({
      result: await addAllowlisted({
        ctx: adminCtx(await runtime()),
        input: {
          msisdn: need(o, 'msisdn'),
          reason: need(o, 'reason'),
          operatorId: str(o, 'operator'),
        },
      }),
    }),
  }),
  command({
    name: 'watchlist-policy set',
    summary: 'Allow or refuse registrations by identities whose lines are listed, per country',
    options: {
      country: { type: 'string', value: 'CC', required: true, description: 'served country code' },
      'listed-identity': {
        type: 'string',
        value: 'allow|refuse',
        required: true,
        description: 'allow (registered, identity flagged) or refuse (409, identity flagged)',
      },
    },
    example: 'simline watchlist-policy set --country TH --listed-identity refuse',
    run: async ({ opts: o, runtime }) => ({
      result: await setListedIdentityPolicy({
        ctx: adminCtx(await runtime()),
        input: { country: need(o, 'country'), listedIdentity: need(o, 'listed-identity') },
      }),
    }),
  }),
  command({
    name: 'watchlist-policy list',
    summary: 'List the countries whose registration policy for listed identities is set',
    example: 'simline watchlist-policy list',
    run: async ({ runtime }) => ({
      result: await listListedIdentityPolicies({ db: (await runtime()).deps.db }),
    }),
  }),
  command({
    name: 'cdr generate',
    summary: 'Generate labelled synthetic CDR traffic to a file or a Kafka topic (no database)',
    details: `Without --out or --kafka it writes ${DEFAULT_CDR_FILE}; the labels go beside the file. ${CDR_DATA_SHARE * 100}% of the records are data records (type "data", remoteIp, host), which the line rules do not count.`,
    options: {
      lines: {
        type: 'int',
        value: 'N',
        description: 'lines (subscribers) to simulate, at least 10; default 1000',
      },
      hours: { type: 'int', value: 'H', description: 'hours of traffic, at least 14; default 26' },
      seed: {
        type: 'int',
        value: 'S',
        description: 'the random seed (same seed, same traffic); default 1',
      },
      out: { type: 'string', value: 'FILE', description: 'the NDJSON file to write' },
      kafka: {
        type: 'string',
        value: 'TOPIC',
        description: 'produce to this topic instead (needs KAFKA_BROKERS)',
      },
      labels: {
        type: 'string',
        value: 'FILE',
        description: 'where to write the labels; default FILE.labels.json',
      },
      campaigns: {
        type: 'flag',
        description:
          'coordinated campaigns of each shape and group hard negatives beside --lines ordinary lines, instead of single-line patterns',
      },
      'per-shape': {
        type: 'int',
        value: 'N',
        description: 'with --campaigns: campaigns of each shape; default 2',
      },
      members: {
        type: 'string',
        value: 'MIN-MAX',
        description: 'with --campaigns: lines per campaign; default 20-150',
      },
      'hard-negatives': {
        type: 'int',
        value: 'N',
        description: 'with --campaigns: lines of each group hard-negative kind; default 100',
      },
    },
    example: 'simline cdr generate --lines 2000 --seed 7 --out /tmp/cdrs.ndjson',
    run: async ({ opts }) => generate(opts),
  }),
  command({
    name: 'cdr push',
    summary: 'Post an NDJSON file of CDRs of any size to the API in chunks',
    details: `Reads the file line by line, posts at most ${MAX_CDRS_PER_REQUEST.toLocaleString('en-US')} records and 16 MiB at a time, retries a post on 5xx and 429 (honouring Retry-After), shows progress on stderr when it is a terminal, and prints the summed result with the file's line numbers.`,
    options: {
      file: {
        type: 'string',
        value: 'FILE',
        required: true,
        description: 'the NDJSON file, one CDR per line',
      },
      url: { type: 'string', value: 'URL', description: 'the API; default http://localhost:8080' },
      key: {
        type: 'string',
        value: 'KEY',
        description: 'an operator API key with cdrs:write; default $SIMLINE_API_KEY',
      },
      chunk: {
        type: 'int',
        value: 'N',
        description: `records per post, 1 to ${MAX_CDRS_PER_REQUEST}; default ${MAX_CDRS_PER_REQUEST}`,
      },
    },
    example: 'SIMLINE_API_KEY=slk_... simline cdr push --file /tmp/cdrs.ndjson',
    run: async ({ opts }) => push(opts),
  }),
  command({
    name: 'cdr evaluate',
    summary: 'Compare the stored alerts with the labels of generated traffic (recall, precision)',
    options: {
      labels: {
        type: 'string',
        value: 'FILE',
        required: true,
        description: 'a labels file of cdr generate',
      },
      json: { type: 'flag', description: 'print JSON instead of tables' },
    },
    example: 'simline cdr evaluate --labels /tmp/cdrs.ndjson.labels.json',
    run: async ({ opts: o, runtime }) => evaluate(o, await runtime()),
  }),
  command({
    name: 'users list',
    summary: 'List console users (no password hashes)',
    example: 'simline users list',
    run: async ({ runtime }) => ({
      result: (await listUsers((await runtime()).deps.db)).map((u) => ({
        userId: u.id,
        username: u.username,
        role: u.role,
        mustChangePassword: u.must_change_password,
        disabledAt: u.disabled_at,
        createdAt: u.created_at,
      })),
    }),
  }),
  command({
    name: 'users create',
    summary: 'Create a console user with a one-time password (changed at the first login)',
    options: {
      username: { type: 'string', value: 'U', required: true, description: 'the login name' },
      role: {
        type: 'string',
        value: 'ROLE',
        required: true,
        description: CONSOLE_ROLES.join(', '),
      },
    },
    example: 'simline users create --username alice --role admin',
    run: async ({ opts: o, runtime }) => {
      const user = await createUser({
        ctx: adminCtx(await runtime()),
        input: { username: need(o, 'username'), role: need(o, 'role') },
      });
      return { result: { ...user, mustChangePassword: true } };
    },
  }),
];

async function main(): Promise<number> {
  const parsed = parseCommandLine(COMMANDS, process.argv.slice(2));
  if (parsed.kind === 'help') {
    process.stdout.write(parsed.text);
    return 0;
  }
  if (parsed.kind === 'usage') {
    process.stderr.write(`${parsed.message}\n\n${parsed.help}`);
    return 2;
  }
  const { command: c, opts } = parsed;
  let rt: Runtime | undefined;
  const runtime = async () => {
    if (rt) return rt;
    const config = loadConfig(process.env);
    const log = createLogger({
      level: config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL,
      destination: 2,
    });
    rt = await openRuntime(config, log);
    return rt;
  };
  try {
    const { result, exitCode = 0, text } = await c.run({ opts, runtime });
    process.stdout.write(text ?? `${JSON.stringify(result, null, 2)}\n`);
    return exitCode;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n\n${commandHelp(c)}`);
      return 2;
    }
    if (err instanceof ConfigError) {
      for (const i of err.issues)
        process.stderr.write(`invalid configuration: ${i.field}: ${i.message}\n`);
      return 1;
    }
    if (err instanceof ServiceError) {
      process.stderr.write(
        `${JSON.stringify({ code: err.code, detail: err.detail, ...err.extra })}\n`,
      );
      return 1;
    }
    throw err;
  } finally {
    await rt?.close();
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
