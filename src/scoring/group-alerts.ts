/**
 * Whole campaigns: the group alerts (one per rule, group key and UTC day) with every member line,
 * as a regulator reads them, and as an operator reads the part that is its own.
 */
import type { ConsoleRole } from '../access/roles.js';
import { type AuditCtx, audit, auditShard } from '../platform/audit.js';
import { withTransaction } from '../platform/db/transaction.js';
import { NotFoundError } from '../platform/errors.js';
import { decodeCursor, encodeCursor, keysetPage } from '../platform/keyset.js';
import type { MemberSummary } from './group/engine.js';
import { type StoredShared, sharedFor } from './group/visibility.js';
import type {
  GroupAlertDetail,
  GroupAlertQuery,
  GroupAlertSummary,
  GroupMemberView,
} from './group-contract.js';
import {
  findGroupAlertRow,
  findGroupMemberAlerts,
  type GroupAlertPosition,
  type GroupAlertRow,
  listGroupAlertRows,
  outletsOfLines,
  sameOutletEvidence,
} from './group-queries.js';
import type { GroupRuleCode } from './rules/index.js';
import type { GroupKeyKind } from './rules/rule.js';
import type { ScoringCtx, Viewer } from './service.js';

/** Console roles that read whole campaigns (every operator's member lines). */
export const GROUP_ALERT_READERS: readonly ConsoleRole[] = ['officer', 'analyst', 'auditor'];

/** A reader of group alerts, and who it is for the audit log. */
export interface GroupReadCtx extends ScoringCtx {
  audit: AuditCtx;
}

interface StoredGroupEvidence {
  checks: GroupAlertSummary['checks'];
  shared: StoredShared;
}

function cursorOf(p: { window_end: Date; id: number }): string {
  return encodeCursor('g', p.window_end.getTime(), p.id);
}

function positionOf(cursor: string): GroupAlertPosition {
  const [windowEnd, id] = decodeCursor(cursor, 'g', [/^\d{1,15}$/, /^\d{1,18}$/]);
  return { windowEnd: new Date(Number(windowEnd)), id: Number(id) };
}

/** The members a viewer may see: all for a regulator, an operator's own lines for its key. */
function visibleMembers(viewer: Viewer, members: readonly MemberSummary[]): MemberSummary[] {
  return viewer.kind === 'regulator'
    ? [...members]
    : members.filter((m) => m.operatorId === viewer.operatorId);
}

function operatorCounts(members: readonly MemberSummary[]) {
  const counts = new Map<string | null, number>();
  for (const m of members) counts.set(m.operatorId, (counts.get(m.operatorId) ?? 0) + 1);
  return [...counts]
    .map(([operatorId, memberLines]) => ({ operatorId, memberLines }))
    .sort((a, b) => (a.operatorId ?? '').localeCompare(b.operatorId ?? ''));
}

/** The engine writes only keys of the three kinds (`GroupKeyState.kind`). */
function keyKindOf(groupKey: string): GroupKeyKind {
  return groupKey.slice(0, groupKey.indexOf(':')) as GroupKeyKind;
}

function summaryView(r: GroupAlertRow, all: MemberSummary[], visible: MemberSummary[]) {
  const evidence = r.evidence as StoredGroupEvidence;
  return {
    id: String(r.id),
    rule: r.rule as GroupRuleCode,
    groupKey: r.group_key,
    keyKind: keyKindOf(r.group_key),
    windowStart: r.window_start.toISOString(),
    windowEnd: r.window_end.toISOString(),
    score: r.score,
    memberLines: all.length,
    hiddenMemberLines: all.length - visible.length,
    operators: operatorCounts(visible),
    checks: evidence.checks,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  } satisfies GroupAlertSummary;
}

/**
 * Group alerts, newest day first, in pages. An operator's key lists only groups holding one of
 * its lines, and counts only its own members by operator (the others as `hiddenMemberLines`).
 */
export async function listGroupAlerts({
  ctx,
  input,
}: {
  ctx: ScoringCtx;
  input: GroupAlertQuery;
}): Promise<{ items: GroupAlertSummary[]; next: string | null }> {
  const rows = await listGroupAlertRows(ctx.db, {
    operatorId: ctx.viewer.kind === 'operator' ? ctx.viewer.operatorId : undefined,
    rule: input.rule,
    since: input.since ? new Date(input.since) : undefined,
    until: input.until ? new Date(input.until) : undefined,
    after: input.cursor ? positionOf(input.cursor) : undefined,
    limit: input.limit,
  });
  const { page, next } = keysetPage(rows, input.limit, cursorOf);
  return {
    items: page.map((r) => {
      const all = r.members as MemberSummary[];
      return summaryView(r, all, visibleMembers(ctx.viewer, all));
    }),
    next,
  };
}

/**
 * One group alert with what its members share and every member line the viewer may see (an
 * operator: only its own; a group without one of its lines is not found). A regulator's read of
 * the lines of several operators is audited in the read's transaction.
 */
export async function getGroupAlert({
  ctx,
  input,
}: {
  ctx: GroupReadCtx;
  input: { id: string };
}): Promise<GroupAlertDetail> {
  if (!/^\d{1,18}$/.test(input.id)) throw new NotFoundError(`group alert ${input.id}`);
  const id = Number(input.id);
  return withTransaction(ctx, async (tx) => {
    const row = await findGroupAlertRow(tx, { id });
    const all = (row?.members ?? []) as MemberSummary[];
    const visible = visibleMembers(ctx.viewer, all);
    if (!row || visible.length === 0) throw new NotFoundError(`group alert ${input.id}`);
    const alerts = await findGroupMemberAlerts(tx, {
      rule: row.rule,
      groupKey: row.group_key,
      windowEnd: row.window_end,
      msisdns: visible.map((m) => m.msisdn),
    });
    const alertOf = new Map(alerts.map((a) => [a.msisdn, a]));
    const members: GroupMemberView[] = visible
      .map((m) => {
        const a = alertOf.get(m.msisdn);
        return {
          ...m,
          imeis: [...m.imeis],
          alertId: a ? String(a.id) : null,
          alertStatus: a ? (a.status as 'open' | 'closed') : null,
        };
      })
      .sort(
        (a, b) =>
          (a.operatorId ?? '').localeCompare(b.operatorId ?? '') ||
          a.msisdn.localeCompare(b.msisdn),
      );
    const operators = [
      ...new Set(visible.flatMap((m) => (m.operatorId === null ? [] : [m.operatorId]))),
    ].sort();
    if (operators.length > 1)
      await audit(tx, ctx.audit, {
        shard: auditShard(`scoring:read:${actorRef(ctx.audit)}`, input.id),
        action: 'scoring.group_read',
        subjectType: 'group_alert',
        subjectId: input.id,
        outcome: 'success',
        data: { rule: row.rule, operators, memberLines: visible.length },
      });
    const evidence = row.evidence as StoredGroupEvidence;
    const shared =
      ctx.viewer.kind === 'regulator'
        ? evidence.shared
        : sharedFor(
            evidence.shared,
            visible,
            outletsOfLines(
              await sameOutletEvidence(
                tx,
                visible.map((m) => m.msisdn),
              ),
              visible,
            ),
          );
    return { ...summaryView(row, all, visible), shared, members };
  });
}

function actorRef(ctx: AuditCtx): string {
  if ('operator' in ctx) return ctx.operator.id;
  return typeof ctx.actor === 'string' ? ctx.actor : ctx.actor.userId;
}
