import type { ConsoleRole } from '../access/roles.js';

/**
 * Lifecycle of a signal-suspension order, as a pure state machine (no I/O, no clock).
 *
 * Only decisions are stored. `scheduled`, `active` and `expired` are derived from an approved
 * order's window and the caller's `now`, so the status is right at any moment and after any
 * restart without a cron job flipping rows. The actions, their roles, notes and transitions are
 * the table in `order-actions.ts`.
 */

import { DAY_MS } from '../platform/time.js';
import { needsNote, ORDER_ACTION_TABLE, ORDER_ACTIONS, type OrderAction } from './order-actions.js';

export const ORDER_STATUSES = [
  'draft',
  'pending_approval',
  'scheduled',
  'active',
  'expired',
  'lifted',
  'rejected',
  'withdrawn',
  'superseded',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const STORED_ORDER_STATES = [
  'draft',
  'pending_approval',
  'approved',
  'rejected',
  'withdrawn',
  'lifted',
  'superseded',
] as const;
export type StoredOrderState = (typeof STORED_ORDER_STATES)[number];

export { ORDER_ACTIONS, type OrderAction } from './order-actions.js';

export const SERVICES = ['voice', 'sms', 'data'] as const;
export type Service = (typeof SERVICES)[number];

/** Re-exported for the orders' modules, which take it from here. */
export { DAY_MS };

/** Fixed rather than a policy knob: written reasons are a legal requirement, not a preference. */
export const MIN_REASONS_LENGTH = 20;

export interface OrderFacts {
  state: StoredOrderState;
  startsAt: Date;
  endsAt: Date;
  draftedBy: string;
  submittedBy?: string | null;
  liftedAt?: Date | null;
}

export interface Actor {
  userId: string;
  role: ConsoleRole;
}

export interface ActionRequest {
  action: OrderAction;
  actor: Actor;
  note?: string | null;
  now: Date;
}

export type DecisionCode =
  | 'forbidden_role'
  | 'invalid_transition'
  | 'four_eyes_violation'
  | 'not_drafter'
  | 'note_required'
  | 'order_window_passed';

export type Decision =
  | { ok: true; nextState: StoredOrderState; event: string }
  | { ok: false; code: DecisionCode; detail: string };

export interface OrderPolicy {
  maxDurationMs: number;
  minNoteLength: number;
  maxStartLeadMs: number;
}

export const DEFAULT_ORDER_POLICY: OrderPolicy = Object.freeze({
  maxDurationMs: 15 * DAY_MS,
  minNoteLength: 10,
  maxStartLeadMs: 30 * DAY_MS,
});

export interface DraftInput {
  startsAt: Date;
  endsAt: Date;
  reasons: string;
  legalBasis: string;
  services: string[];
  operatorIds: string[];
}

export interface ValidationIssue {
  path: string;
  message: string;
}

const TRANSITIONS = Object.fromEntries(
  ORDER_STATUSES.map((status) => [
    status,
    Object.fromEntries(
      ORDER_ACTIONS.flatMap((action) => {
        const next = ORDER_ACTION_TABLE[action].from[status as never] as
          | StoredOrderState
          | undefined;
        return next === undefined ? [] : [[action, next]];
      }),
    ),
  ]),
) as Record<OrderStatus, Partial<Record<OrderAction, StoredOrderState>>>;

const mayTake = (action: OrderAction, actor: Actor) =>
  (ORDER_ACTION_TABLE[action].roles as readonly ConsoleRole[]).includes(actor.role);

export function effectiveStatus(o: OrderFacts, now: Date): OrderStatus {
  if (o.state !== 'approved') return o.state;
  const t = now.getTime();
  if (t < o.startsAt.getTime()) return 'scheduled';
  if (t < o.endsAt.getTime()) return 'active';
  return 'expired';
}

/** Is this action allowed now, by this actor, with this note? Pure. */
export function decide(
  o: OrderFacts,
  req: ActionRequest,
  policy: OrderPolicy = DEFAULT_ORDER_POLICY,
): Decision {
  const decision = authorize(o, req.action, req.actor, req.now);
  if (!decision.ok || !needsNote(req.action, effectiveStatus(o, req.now))) return decision;
  const note = req.note?.trim() ?? '';
  if (note.length === 0 || note.length < policy.minNoteLength) {
    return deny(
      'note_required',
      `${req.action} requires a written note of at least ${policy.minNoteLength} characters`,
    );
  }
  return decision;
}

/** The actions to offer this actor now; notes are not checked because the console asks for them. */
export function allowedActions(o: OrderFacts, actor: Actor, now: Date): OrderAction[] {
  return ORDER_ACTIONS.filter((action) => authorize(o, action, actor, now).ok);
}

/** Everything except the note: who may do what, from which status, at which time. */
function authorize(o: OrderFacts, action: OrderAction, actor: Actor, now: Date): Decision {
  if (actor.role === 'auditor') {
    return deny('forbidden_role', 'auditors have read-only access to orders');
  }
  const status = effectiveStatus(o, now);
  const nextState = TRANSITIONS[status][action];
  if (nextState === undefined) {
    return deny('invalid_transition', `cannot ${action} an order that is ${status}`);
  }
  const actorDenial = checkActor(o, action, status, actor);
  if (actorDenial) return actorDenial;
  if (action === 'approve' && now.getTime() >= o.endsAt.getTime()) {
    return deny(
      'order_window_passed',
      `cannot approve: the order window ended at ${o.endsAt.toISOString()}`,
    );
  }
  return { ok: true, nextState, event: ORDER_ACTION_TABLE[action].event };
}

function checkActor(
  o: OrderFacts,
  action: OrderAction,
  status: OrderStatus,
  actor: Actor,
): Decision | null {
  switch (action) {
    case 'submit':
      return mayTake(action, actor)
        ? null
        : deny('forbidden_role', `${actor.role} cannot submit orders`);
    case 'approve':
    case 'reject':
      if (!mayTake(action, actor)) {
        return deny('forbidden_role', `${actor.role} cannot ${action} orders`);
      }
      if (actor.userId === o.draftedBy) {
        return deny('four_eyes_violation', `the drafter of an order cannot ${action} it`);
      }
      if (o.submittedBy && actor.userId === o.submittedBy) {
        return deny('four_eyes_violation', `the submitter of an order cannot ${action} it`);
      }
      return null;
    case 'withdraw':
      if (status === 'scheduled') {
        return mayTake(action, actor)
          ? null
          : deny('forbidden_role', 'only an approver or admin can withdraw a scheduled order');
      }
      // Its drafter may take back a draft or a pending version, whatever the role: an approver's
      // pending amendment would otherwise block every other amendment until someone rejected it.
      return actor.userId === o.draftedBy
        ? null
        : deny('not_drafter', `only the drafter can withdraw an order that is ${status}`);
    case 'lift':
    case 'amend':
      return mayTake(action, actor)
        ? null
        : deny('forbidden_role', `${actor.role} cannot ${action} orders`);
  }
}

function deny(code: DecisionCode, detail: string): Decision {
  return { ok: false, code, detail };
}

export function validateDraft(d: DraftInput, policy: OrderPolicy, now: Date): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const start = d.startsAt.getTime();
  const end = d.endsAt.getTime();

  if (Number.isNaN(start)) issues.push({ path: 'startsAt', message: 'must be a valid date' });
  if (Number.isNaN(end)) issues.push({ path: 'endsAt', message: 'must be a valid date' });
  if (!Number.isNaN(start) && !Number.isNaN(end)) {
    if (end <= start) {
      issues.push({ path: 'endsAt', message: 'must be after startsAt' });
    } else if (end - start > policy.maxDurationMs) {
      const limit = formatDays(policy.maxDurationMs);
      issues.push({
        path: 'endsAt',
        message: `may last at most ${limit}; a longer suspension needs a new order`,
      });
    }
    if (start - now.getTime() > policy.maxStartLeadMs) {
      issues.push({
        path: 'startsAt',
        message: `must be at most ${formatDays(policy.maxStartLeadMs)} ahead`,
      });
    }
    if (end <= now.getTime()) issues.push({ path: 'endsAt', message: 'must be in the future' });
  }

  const reasons = d.reasons.trim();
  if (reasons.length === 0) {
    issues.push({ path: 'reasons', message: 'written reasons are required' });
  } else if (reasons.length < MIN_REASONS_LENGTH) {
    issues.push({ path: 'reasons', message: `must be at least ${MIN_REASONS_LENGTH} characters` });
  }
  if (d.legalBasis.trim().length === 0) {
    issues.push({ path: 'legalBasis', message: 'a legal basis is required' });
  }

  if (d.services.length === 0) {
    issues.push({
      path: 'services',
      message: `at least one of ${SERVICES.join(', ')} is required`,
    });
  }
  const seenServices = new Set<string>();
  d.services.forEach((service, i) => {
    if (!(SERVICES as readonly string[]).includes(service)) {
      issues.push({
        path: `services[${i}]`,
        message: `unknown service "${service}"; expected one of ${SERVICES.join(', ')}`,
      });
    } else if (seenServices.has(service)) {
      issues.push({ path: `services[${i}]`, message: `duplicate service "${service}"` });
    }
    seenServices.add(service);
  });

  if (d.operatorIds.length === 0) {
    issues.push({ path: 'operatorIds', message: 'at least one operator is required' });
  }
  d.operatorIds.forEach((operatorId, i) => {
    if (operatorId.trim().length === 0) {
      issues.push({ path: `operatorIds[${i}]`, message: 'must not be blank' });
    }
  });

  return issues;
}

function formatDays(ms: number): string {
  const days = Number((ms / DAY_MS).toFixed(2));
  return `${days} ${days === 1 ? 'day' : 'days'}`;
}

/**
 * True when the acknowledgement did not arrive within the deadline. A late acknowledgement stays
 * overdue so compliance reports still record the breach after the operator catches up.
 */
export function acknowledgementOverdue(
  issuedAt: Date,
  acknowledgedAt: Date | null,
  deadlineMs: number,
  now: Date,
): boolean {
  const answeredAt = acknowledgedAt ?? now;
  return answeredAt.getTime() > issuedAt.getTime() + deadlineMs;
}

/** Cells added and removed by an amendment, each sorted and without duplicates. */
export function diffCells(
  before: string[],
  after: string[],
): { added: string[]; removed: string[] } {
  const beforeSet = new Set(before);
  const afterSet = new Set(after);
  return {
    added: [...afterSet].filter((cell) => !beforeSet.has(cell)).sort(),
    removed: [...beforeSet].filter((cell) => !afterSet.has(cell)).sort(),
  };
}
