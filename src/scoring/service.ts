import { findOperator } from '../access/queries.js';
import { audit, auditShard } from '../platform/audit.js';
import type { Db, Tx } from '../platform/db/client.js';
import { InvalidError, NotFoundError, ServiceError } from '../platform/errors.js';
import { decodeCursor, encodeCursor, keysetPage } from '../platform/keyset.js';
import { E164 } from '../registration/numbering.js';
import { cellsForZone, listZones } from '../suspensions/zones.js';
import { type Cdr, decodeCdr } from './cdr.js';
import { type AlertView, type CdrIngestResult, MAX_CDRS_PER_REQUEST } from './contract.js';
import { riskFromState } from './engine.js';
import { findGroupAlertsByRef, groupAlertRef } from './group-queries.js';
import type { HttpScorer } from './pipeline.js';
import {
  type AlertRow,
  findOpenAlerts,
  findThresholdParams,
  listAlertRows,
  loadLineState,
  loadRuleSettingsFor,
  lockAlert,
  markAlertClosed,
  upsertAllowlisted,
  upsertThresholds,
} from './queries.js';
import {
  type AlertRuleCode,
  THRESHOLD_RULE_CODES,
  type ThresholdRuleCode,
  validateThresholds,
} from './rules/index.js';

/** Who is looking: an operator sees only its own lines, a regulator sees all. */
export type Viewer = { kind: 'operator'; operatorId: string } | { kind: 'regulator' };

export interface ScoringCtx {
  db: Db;
  viewer: Viewer;
  now: Date;
}

const MAX_REPORTED_ERRORS = 20;

/**
 * Decodes an NDJSON body of CDRs and feeds the valid ones to the engine as the operator's. A
 * record without `operator` is the operator's sole network's; with several, it must say which.
 */
export async function ingestCdrs({
  ctx,
  input,
}: {
  ctx: { scorer: HttpScorer; operatorId: string; now: Date };
  input: { body: string };
}): Promise<CdrIngestResult> {
  const lines = input.body.split('\n');
  const records: Cdr[] = [];
  /** The body line of each record in `records`. */
  const lineOf: number[] = [];
  const errors: CdrIngestResult['errors'] = [];
  let rejected = 0;
  const networks = await ctx.scorer.networksOf(ctx.operatorId);
  const sole = networks.length === 1 ? networks[0] : undefined;
  const missingOperator =
    networks.length > 1
      ? `operator: missing; required as your operator has several networks (${networks.join(', ')})`
      : undefined;
  for (let i = 0; i < lines.length; i++) {
    const text = (lines[i] as string).trim();
    if (text === '') continue;
    if (records.length + rejected >= MAX_CDRS_PER_REQUEST)
      throw new ServiceError(
        'too_many_records',
        `at most ${MAX_CDRS_PER_REQUEST} records per request`,
        { limit: MAX_CDRS_PER_REQUEST },
      );
    const r = decodeCdr(text, sole);
    if (r.ok) {
      records.push(r.cdr);
      lineOf.push(i + 1);
    } else {
      rejected++;
      const error = r.error === 'operator: missing' && missingOperator ? missingOperator : r.error;
      errors.push({ line: i + 1, error });
    }
  }
  const { counts, refused } = await ctx.scorer.ingest(ctx.operatorId, records, ctx.now);
  for (const x of refused) errors.push({ line: lineOf[x.index] as number, error: x.error });
  errors.sort((a, b) => a.line - b.line);
  return {
    accepted: records.length - refused.length,
    rejected: rejected + refused.length,
    duplicates: counts.duplicates,
    late: counts.late,
    future: counts.future,
    errors: errors.slice(0, MAX_REPORTED_ERRORS),
  };
}

/** The operator whose lines a viewer sees, or undefined for a regulator (all lines). */
function ownLines(viewer: Viewer): string | undefined {
  return viewer.kind === 'operator' ? viewer.operatorId : undefined;
}

function alertView(r: AlertRow): AlertView {
  return {
    id: String(r.id),
    msisdn: r.msisdn,
    rule: r.rule as AlertRuleCode,
    score: r.score,
    windowStart: r.window_start.toISOString(),
    windowEnd: r.window_end.toISOString(),
    evidence: r.evidence as AlertView['evidence'],
    status: r.status as AlertView['status'],
    createdAt: r.created_at.toISOString(),
    closedAt: r.closed_at?.toISOString() ?? null,
  };
}

/** Alerts newest first, filtered, in pages; operators see only alerts on their own lines. */
export async function listAlerts({
  ctx,
  input,
}: {
  ctx: ScoringCtx;
  input: {
    rule?: AlertRuleCode;
    msisdn?: string;
    since?: string;
    status?: 'open' | 'closed';
    limit: number;
    cursor?: string;
  };
}) {
  const rows = await listAlertRows(ctx.db, {
    operatorId: ownLines(ctx.viewer),
    rule: input.rule,
    msisdn: input.msisdn,
    status: input.status,
    since: input.since ? new Date(input.since) : undefined,
    beforeId: input.cursor ? Number(decodeCursor(input.cursor, 'a', [/^\d{1,18}$/])[0]) : undefined,
    limit: input.limit,
  });
  const { page, next } = keysetPage(rows, input.limit, (last) => encodeCursor('a', last.id));
  return { items: page.map(alertView), next };
}

/** A line's current features and score, and its open alerts (enhanced monitoring while any). */
export async function lineRisk({ ctx, input }: { ctx: ScoringCtx; input: { msisdn: string } }) {
  const [{ states, hours }, settings] = await Promise.all([
    loadLineState(ctx.db, input.msisdn),
    loadRuleSettingsFor(ctx.db, input.msisdn),
  ]);
  let risk: ReturnType<typeof riskFromState>;
  for (const row of states) {
    const own = hours.filter((h) => h.stream === row.stream);
    const r = riskFromState(input.msisdn, { state: row.state, hours: own }, settings);
    if (r && (risk === undefined || r.windowEnd > risk.windowEnd)) risk = r;
  }
  const openAlerts = await findOpenAlerts(ctx.db, {
    msisdn: input.msisdn,
    operatorId: ownLines(ctx.viewer),
  });
  const shown =
    risk !== undefined &&
    (ctx.viewer.kind === 'regulator' || risk.operatorId === ctx.viewer.operatorId)
      ? risk
      : undefined;
  if (!shown && openAlerts.length === 0) throw new NotFoundError(`line ${input.msisdn}`);
  return {
    msisdn: input.msisdn,
    score: shown ? await withGroupAlerts(ctx.db, shown, openAlerts) : 0,
    rules: shown?.rules ?? [],
    windowEnd: shown ? new Date(shown.windowEnd).toISOString() : null,
    features: shown ? (shown.features as unknown as Record<string, number | null>) : null,
    lowerBounds: shown?.lowerBounds ?? [],
    enhancedMonitoring: openAlerts.length > 0,
    openAlerts: openAlerts.map(alertView),
    highRiskZones: shown ? await highRiskZonesOf(ctx.db, shown.cells) : [],
  };
}

/**
 * A line's score with its open group alerts of the current window's day (a group alert's window
 * is the UTC day; the line's window ends inside it) combined as the line rules are: each one
 * multiplies the chance of no risk by 1 − the group's score as it stands now (it grows as members
 * join; the line's own alert row keeps the score of when the line joined).
 */
async function withGroupAlerts(
  db: Db,
  risk: { score: number; windowEnd: number },
  open: readonly AlertRow[],
): Promise<number> {
  const refs = open.flatMap((a) =>
    a.group_key !== null &&
    a.window_start.getTime() < risk.windowEnd &&
    risk.windowEnd <= a.window_end.getTime()
      ? [{ rule: a.rule, groupKey: a.group_key, windowEnd: a.window_end, score: a.score }]
      : [],
  );
  if (refs.length === 0) return risk.score;
  const groups = await findGroupAlertsByRef(db, refs);
  let keep = 1;
  for (const r of refs) keep *= 1 - (groups.get(groupAlertRef(r))?.score ?? r.score);
  return 1 - (1 - risk.score) * keep;
}

/**
 * The high-risk zones (drawn by regulators in the console) whose registry cells, counting sites
 * whose coverage reaches the zone, include cells the line used.
 */
async function highRiskZonesOf(db: ScoringCtx['db'], cells: readonly string[]) {
  if (cells.length === 0) return [];
  const used = new Set(cells);
  const out: { zoneId: string; name: string; cells: string[] }[] = [];
  for (const zone of await listZones(db, { riskLevel: 'high' })) {
    const covered = await cellsForZone(db, { geometry: zone.geometry, coverage: 'reach' });
    const hit = [...new Set(covered.map((c) => c.cellId).filter((id) => used.has(id)))].sort();
    if (hit.length > 0) out.push({ zoneId: zone.id, name: zone.name, cells: hit });
  }
  return out;
}

/** Closes an open alert (the line leaves enhanced monitoring when none is left open). */
export async function closeAlert({
  ctx,
  input,
}: {
  ctx: ScoringCtx & { actor: string };
  input: { id: string; reason: string };
}) {
  if (!/^\d{1,18}$/.test(input.id)) throw new NotFoundError(`alert ${input.id}`);
  const id = Number(input.id);
  return ctx.db.transaction().execute(async (tx) => {
    const row = await lockAlert(tx, { id, operatorId: ownLines(ctx.viewer) });
    if (!row) throw new NotFoundError(`alert ${input.id}`);
    if (row.status !== 'open')
      throw new ServiceError('alert_not_open', `alert ${input.id} is already closed`);
    const closed = await markAlertClosed(tx, {
      id,
      at: ctx.now,
      by: ctx.actor,
      reason: input.reason,
    });
    const actor =
      ctx.viewer.kind === 'operator'
        ? { now: ctx.now, operator: { id: ctx.actor } }
        : { now: ctx.now, actor: { userId: ctx.actor } };
    await audit(tx, actor, {
      shard: auditShard('alerts', row.msisdn),
      action: 'alert.closed',
      subjectType: 'alert',
      subjectId: input.id,
      outcome: 'success',
      data: { rule: row.rule, reason: input.reason },
    });
    return alertView(closed);
  });
}

export interface AdminCtx {
  db: Db;
  actor: string;
  now: Date;
}

/** An administrator's change to the scoring settings, in their audit shard. */
function auditAdmin(
  tx: Tx,
  ctx: AdminCtx,
  action: string,
  [subjectType, subjectId]: [string, string],
  data: Record<string, unknown>,
) {
  return audit(tx, ctx, {
    shard: 'admin:scoring',
    action,
    subjectType,
    subjectId,
    outcome: 'success',
    data,
  });
}

/** Changes thresholds at runtime: scorers pick them up on their next reload. */
export async function setThresholds({
  ctx,
  input,
}: {
  ctx: AdminCtx;
  input: { rule: string; params: Record<string, unknown> };
}) {
  if (!(THRESHOLD_RULE_CODES as readonly string[]).includes(input.rule))
    throw new InvalidError('unknown rule', [
      { path: 'rule', message: `must be one of ${THRESHOLD_RULE_CODES.join(', ')}` },
    ]);
  return ctx.db.transaction().execute(async (tx) => {
    const current = await findThresholdParams(tx, { rule: input.rule });
    const merged = { ...(current ?? {}), ...input.params };
    const v = validateThresholds({ [input.rule]: merged });
    if (!v.ok) throw new InvalidError('invalid thresholds', v.issues);
    await upsertThresholds(tx, {
      rule: input.rule,
      params: merged,
      by: ctx.actor,
      at: ctx.now,
    });
    await auditAdmin(tx, ctx, 'scoring.thresholds_set', ['rule', input.rule], {
      before: current ?? {},
      after: merged,
    });
    return { rule: input.rule, thresholds: v.thresholds[input.rule as ThresholdRuleCode] };
  });
}

/** Approves a legitimate bulk caller: volume rules never flag it. */
export async function addAllowlisted({
  ctx,
  input,
}: {
  ctx: AdminCtx;
  input: { msisdn: string; reason: string; operatorId?: string };
}) {
  const issues = [
    ...(E164.test(input.msisdn)
      ? []
      : [{ path: 'msisdn', message: 'must be E.164, e.g. +6621234567' }]),
    ...(input.reason.trim().length >= 3
      ? []
      : [{ path: 'reason', message: 'at least 3 characters' }]),
  ];
  if (issues.length > 0) throw new InvalidError('invalid allowlist entry', issues);
  const { operatorId } = input;
  if (operatorId !== undefined && !(await findOperator(ctx.db, { operatorId })))
    throw new NotFoundError(`operator ${input.operatorId}`);
  return ctx.db.transaction().execute(async (tx) => {
    await upsertAllowlisted(tx, {
      msisdn: input.msisdn,
      operatorId: input.operatorId ?? null,
      reason: input.reason.trim(),
      by: ctx.actor,
      at: ctx.now,
    });
    await auditAdmin(tx, ctx, 'scoring.allowlist_added', ['msisdn', input.msisdn], {
      reason: input.reason.trim(),
      operatorId: input.operatorId ?? null,
    });
    return { msisdn: input.msisdn, reason: input.reason.trim() };
  });
}
