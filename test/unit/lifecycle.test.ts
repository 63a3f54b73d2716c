import { describe, expect, it } from 'vitest';
import type {
  Actor,
  DraftInput,
  OrderAction,
  OrderFacts,
  OrderStatus,
  StoredOrderState,
} from '../../src/suspensions/lifecycle.js';
import {
  acknowledgementOverdue,
  allowedActions,
  DAY_MS,
  DEFAULT_ORDER_POLICY,
  decide,
  diffCells,
  effectiveStatus,
  ORDER_ACTIONS,
  ORDER_STATUSES,
  validateDraft,
} from '../../src/suspensions/lifecycle.js';

const HOUR_MS = 60 * 60 * 1000;
const T0 = new Date('2025-03-01T08:00:00.000Z');
const NOTE = 'Police confirm the compound has been cleared';

/** A fake clock: plain Dates that only move when the test says so. */
function createClock(start: Date) {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    advance: (ms: number) => {
      current += ms;
    },
    set: (d: Date) => {
      current = d.getTime();
    },
  };
}

function at(offsetMs: number): Date {
  return new Date(T0.getTime() + offsetMs);
}

const drafter: Actor = { userId: 'officer-1', role: 'officer' };
const otherOfficer: Actor = { userId: 'officer-2', role: 'officer' };
const approver: Actor = { userId: 'approver-1', role: 'approver' };
const otherApprover: Actor = { userId: 'approver-2', role: 'approver' };
const admin: Actor = { userId: 'admin-1', role: 'admin' };
const auditor: Actor = { userId: 'auditor-1', role: 'auditor' };

function order(overrides: Partial<OrderFacts> = {}): OrderFacts {
  return {
    state: 'draft',
    startsAt: at(DAY_MS),
    endsAt: at(3 * DAY_MS),
    draftedBy: drafter.userId,
    submittedBy: null,
    liftedAt: null,
    ...overrides,
  };
}

/** Facts whose effective status at T0 is the given public status. */
function orderIn(status: OrderStatus): OrderFacts {
  switch (status) {
    case 'draft':
      return order();
    case 'pending_approval':
      return order({ state: 'pending_approval', submittedBy: drafter.userId });
    case 'scheduled':
      return order({ state: 'approved', submittedBy: drafter.userId });
    case 'active':
      return order({ state: 'approved', submittedBy: drafter.userId, startsAt: at(-HOUR_MS) });
    case 'expired':
      return order({ state: 'approved', startsAt: at(-3 * DAY_MS), endsAt: at(-DAY_MS) });
    case 'lifted':
      return order({ state: 'lifted', startsAt: at(-HOUR_MS), liftedAt: at(-1) });
    default:
      return order({ state: status });
  }
}

const LEGAL: Record<OrderStatus, readonly OrderAction[]> = {
  draft: ['submit', 'withdraw'],
  pending_approval: ['approve', 'reject', 'withdraw'],
  scheduled: ['withdraw', 'lift', 'amend'],
  active: ['lift', 'amend'],
  expired: [],
  lifted: [],
  rejected: [],
  withdrawn: [],
  superseded: [],
};

function validDraft(overrides: Partial<DraftInput> = {}): DraftInput {
  return {
    startsAt: at(HOUR_MS),
    endsAt: at(HOUR_MS + 2 * DAY_MS),
    reasons: 'Scam compound operating from the Golden Triangle SEZ, block 4',
    legalBasis: 'Telecommunications Act s.34(2)',
    services: ['voice', 'sms', 'data'],
    operatorIds: ['op-mpt'],
    ...overrides,
  };
}

describe('effectiveStatus', () => {
  it('maps each stored decision state other than approved to itself', () => {
    const stored: Exclude<StoredOrderState, 'approved'>[] = [
      'draft',
      'pending_approval',
      'rejected',
      'withdrawn',
      'lifted',
      'superseded',
    ];
    for (const state of stored) {
      expect(effectiveStatus(order({ state }), T0)).toBe(state);
    }
  });

  it('derives scheduled, active and expired from an approved window as the clock moves', () => {
    const clock = createClock(T0);
    const o = order({ state: 'approved', startsAt: at(DAY_MS), endsAt: at(3 * DAY_MS) });

    expect(effectiveStatus(o, clock.now())).toBe('scheduled');
    clock.set(new Date(o.startsAt.getTime() - 1));
    expect(effectiveStatus(o, clock.now())).toBe('scheduled');
    clock.advance(1);
    expect(effectiveStatus(o, clock.now())).toBe('active');
    clock.set(new Date(o.endsAt.getTime() - 1));
    expect(effectiveStatus(o, clock.now())).toBe('active');
    clock.advance(1);
    expect(effectiveStatus(o, clock.now())).toBe('expired');
    clock.advance(30 * DAY_MS);
    expect(effectiveStatus(o, clock.now())).toBe('expired');
  });

  it('reports lifted after a lift, even inside the original window', () => {
    const o = order({ state: 'lifted', startsAt: at(-HOUR_MS), liftedAt: at(-1) });
    expect(effectiveStatus(o, T0)).toBe('lifted');
  });

  it('only ever returns public statuses, never the stored approved state', () => {
    const clock = createClock(at(-5 * DAY_MS));
    const o = order({ state: 'approved' });
    for (let i = 0; i < 10; i++) {
      expect(ORDER_STATUSES).toContain(effectiveStatus(o, clock.now()));
      clock.advance(DAY_MS);
    }
    expect(ORDER_STATUSES).not.toContain('approved');
  });
});

describe('decide: legal transitions', () => {
  it.each<[OrderStatus, OrderAction, Actor, StoredOrderState, string]>([
    ['draft', 'submit', drafter, 'pending_approval', 'order.submitted'],
    ['draft', 'submit', otherOfficer, 'pending_approval', 'order.submitted'],
    [
      'draft',
      'submit',
      { ...admin, userId: drafter.userId },
      'pending_approval',
      'order.submitted',
    ],
    ['draft', 'withdraw', drafter, 'withdrawn', 'order.withdrawn'],
    ['pending_approval', 'approve', approver, 'approved', 'order.approved'],
    ['pending_approval', 'approve', admin, 'approved', 'order.approved'],
    ['pending_approval', 'reject', approver, 'rejected', 'order.rejected'],
    ['pending_approval', 'reject', admin, 'rejected', 'order.rejected'],
    ['pending_approval', 'withdraw', drafter, 'withdrawn', 'order.withdrawn'],
    ['scheduled', 'withdraw', approver, 'withdrawn', 'order.withdrawn'],
    ['scheduled', 'withdraw', admin, 'withdrawn', 'order.withdrawn'],
    ['scheduled', 'lift', approver, 'lifted', 'order.lifted'],
    ['scheduled', 'amend', approver, 'superseded', 'order.superseded'],
    ['active', 'lift', approver, 'lifted', 'order.lifted'],
    ['active', 'lift', admin, 'lifted', 'order.lifted'],
    ['active', 'amend', approver, 'superseded', 'order.superseded'],
    ['active', 'amend', admin, 'superseded', 'order.superseded'],
  ])('%s --%s by %o--> %s', (status, action, actor, nextState, event) => {
    const decision = decide(orderIn(status), { action, actor, note: NOTE, now: T0 });
    expect(decision).toEqual({ ok: true, nextState, event });
  });

  it('walks a full lifecycle on a fake clock: draft, submit, approve, active, lift', () => {
    const clock = createClock(T0);
    let o = order();

    const submitted = decide(o, { action: 'submit', actor: drafter, now: clock.now() });
    if (!submitted.ok) throw new Error(submitted.detail);
    o = { ...o, state: submitted.nextState, submittedBy: drafter.userId };
    expect(effectiveStatus(o, clock.now())).toBe('pending_approval');

    clock.advance(HOUR_MS);
    const approved = decide(o, { action: 'approve', actor: approver, now: clock.now() });
    if (!approved.ok) throw new Error(approved.detail);
    o = { ...o, state: approved.nextState };
    expect(effectiveStatus(o, clock.now())).toBe('scheduled');

    clock.advance(DAY_MS);
    expect(effectiveStatus(o, clock.now())).toBe('active');

    const lifted = decide(o, {
      action: 'lift',
      actor: otherApprover,
      note: NOTE,
      now: clock.now(),
    });
    if (!lifted.ok) throw new Error(lifted.detail);
    o = { ...o, state: lifted.nextState, liftedAt: clock.now() };
    clock.advance(HOUR_MS);
    expect(effectiveStatus(o, clock.now())).toBe('lifted');
  });

  it('makes an order approved after its start active immediately', () => {
    const o = order({ state: 'pending_approval', startsAt: at(-HOUR_MS), endsAt: at(DAY_MS) });
    const decision = decide(o, { action: 'approve', actor: approver, now: T0 });
    expect(decision).toEqual({ ok: true, nextState: 'approved', event: 'order.approved' });
    expect(effectiveStatus({ ...o, state: 'approved' }, T0)).toBe('active');
  });
});

describe('decide: illegal transitions', () => {
  const illegal = ORDER_STATUSES.flatMap((status) =>
    ORDER_ACTIONS.filter((action) => !LEGAL[status].includes(action)).map(
      (action) => [status, action] as const,
    ),
  );

  it.each(ORDER_STATUSES)('offers exactly the legal actions in %s to some actor', (status) => {
    const actors = [drafter, otherOfficer, approver, admin, auditor];
    const offered = new Set(actors.flatMap((actor) => allowedActions(orderIn(status), actor, T0)));
    expect(ORDER_ACTIONS.filter((action) => offered.has(action))).toEqual(LEGAL[status]);
  });

  it.each(illegal)('refuses %s --%s--> with invalid_transition', (status, action) => {
    const decision = decide(orderIn(status), { action, actor: admin, note: NOTE, now: T0 });
    expect(decision.ok).toBe(false);
    if (decision.ok) return;
    expect(decision.code).toBe('invalid_transition');
    expect(decision.detail).toContain(status);
    expect(decision.detail).toContain(action);
  });

  it('refuses withdrawing an approved order once it has started, and before without a note', () => {
    const o = order({ state: 'approved' });
    const when = (now: Date, note?: string) =>
      decide(o, { action: 'withdraw', actor: approver, now, ...(note ? { note } : {}) });
    expect(when(at(DAY_MS - 1), NOTE).ok).toBe(true);
    expect(when(at(DAY_MS - 1))).toMatchObject({ ok: false, code: 'note_required' });
    expect(when(at(DAY_MS), NOTE)).toMatchObject({ ok: false, code: 'invalid_transition' });
  });

  it("lets a pending version's drafter withdraw it whatever the role (an approver's amendment)", () => {
    for (const status of ['draft', 'pending_approval'] as const) {
      const decision = decide(orderIn(status), {
        action: 'withdraw',
        actor: { ...approver, userId: drafter.userId },
        now: T0,
      });
      expect(decision.ok, status).toBe(true);
    }
  });

  it('refuses lifting an order after it expired', () => {
    const o = order({ state: 'approved' });
    const decision = decide(o, {
      action: 'lift',
      actor: approver,
      note: NOTE,
      now: at(3 * DAY_MS),
    });
    expect(decision).toMatchObject({ ok: false, code: 'invalid_transition' });
  });
});

describe('decide: four-eyes', () => {
  const pending = order({
    state: 'pending_approval',
    draftedBy: admin.userId,
    submittedBy: otherOfficer.userId,
  });

  it('refuses approval by the drafter', () => {
    const decision = decide(pending, { action: 'approve', actor: admin, now: T0 });
    expect(decision).toMatchObject({ ok: false, code: 'four_eyes_violation' });
  });

  it('refuses approval by the submitter', () => {
    const o = order({ state: 'pending_approval', submittedBy: admin.userId });
    const decision = decide(o, { action: 'approve', actor: admin, now: T0 });
    expect(decision).toMatchObject({ ok: false, code: 'four_eyes_violation' });
  });

  it('refuses approval by the drafter even when someone else submitted', () => {
    const o = order({
      state: 'pending_approval',
      draftedBy: approver.userId,
      submittedBy: otherOfficer.userId,
    });
    const decision = decide(o, { action: 'approve', actor: approver, now: T0 });
    expect(decision).toMatchObject({ ok: false, code: 'four_eyes_violation' });
  });

  it('allows approval by a different approver', () => {
    const decision = decide(pending, { action: 'approve', actor: approver, now: T0 });
    expect(decision).toEqual({ ok: true, nextState: 'approved', event: 'order.approved' });
  });

  it('applies to rejection as well', () => {
    const decision = decide(pending, { action: 'reject', actor: admin, note: NOTE, now: T0 });
    expect(decision).toMatchObject({ ok: false, code: 'four_eyes_violation' });
  });

  it('checks only the drafter when the submitter is unknown', () => {
    const o = order({ state: 'pending_approval', draftedBy: drafter.userId, submittedBy: null });
    expect(decide(o, { action: 'approve', actor: approver, now: T0 }).ok).toBe(true);
  });
});

describe('decide: roles', () => {
  it.each(ORDER_STATUSES.flatMap((s) => ORDER_ACTIONS.map((a) => [s, a] as const)))(
    'auditor cannot %s → %s',
    (status, action) => {
      const decision = decide(orderIn(status), { action, actor: auditor, note: NOTE, now: T0 });
      expect(decision).toMatchObject({ ok: false, code: 'forbidden_role' });
    },
  );

  it.each<[OrderStatus, OrderAction, Actor]>([
    ['pending_approval', 'approve', otherOfficer],
    ['pending_approval', 'reject', otherOfficer],
    ['draft', 'submit', approver],
    ['scheduled', 'lift', otherOfficer],
    ['active', 'lift', drafter],
    ['active', 'amend', otherOfficer],
    ['scheduled', 'amend', drafter],
    ['scheduled', 'withdraw', drafter],
  ])('in %s, %s by %o is forbidden_role', (status, action, actor) => {
    const decision = decide(orderIn(status), { action, actor, note: NOTE, now: T0 });
    expect(decision).toMatchObject({ ok: false, code: 'forbidden_role' });
  });

  it.each<[OrderStatus, Actor]>([
    ['draft', otherOfficer],
    ['draft', admin],
    ['pending_approval', otherOfficer],
    ['pending_approval', admin],
  ])('in %s, only the drafter can withdraw (not %o)', (status, actor) => {
    const decision = decide(orderIn(status), { action: 'withdraw', actor, now: T0 });
    expect(decision).toMatchObject({ ok: false, code: 'not_drafter' });
  });
});

describe('decide: approval window', () => {
  const pending = order({ state: 'pending_approval', startsAt: at(-2 * DAY_MS), endsAt: T0 });

  it('refuses approval exactly at endsAt', () => {
    const decision = decide(pending, { action: 'approve', actor: approver, now: T0 });
    expect(decision).toMatchObject({ ok: false, code: 'order_window_passed' });
  });

  it('refuses approval after endsAt', () => {
    const decision = decide(pending, { action: 'approve', actor: approver, now: at(HOUR_MS) });
    expect(decision).toMatchObject({ ok: false, code: 'order_window_passed' });
  });

  it('allows approval one millisecond before endsAt', () => {
    const decision = decide(pending, { action: 'approve', actor: approver, now: at(-1) });
    expect(decision.ok).toBe(true);
  });

  it('still allows rejecting an order whose window passed, to clear the queue', () => {
    const decision = decide(pending, {
      action: 'reject',
      actor: approver,
      note: NOTE,
      now: at(HOUR_MS),
    });
    expect(decision).toEqual({ ok: true, nextState: 'rejected', event: 'order.rejected' });
  });
});

describe('decide: notes', () => {
  const pending = orderIn('pending_approval');
  const active = orderIn('active');

  it.each([undefined, null, '', '   \n\t', 'too short'])(
    'reject with note %j is refused',
    (note) => {
      const decision = decide(pending, { action: 'reject', actor: approver, note, now: T0 });
      expect(decision).toMatchObject({ ok: false, code: 'note_required' });
    },
  );

  it.each([undefined, null, '', '   '])('lift with note %j is refused', (note) => {
    const decision = decide(active, { action: 'lift', actor: approver, note, now: T0 });
    expect(decision).toMatchObject({ ok: false, code: 'note_required' });
  });

  it('accepts a note of exactly the minimum length, ignoring surrounding whitespace', () => {
    const note = `  ${'x'.repeat(DEFAULT_ORDER_POLICY.minNoteLength)}  `;
    const decision = decide(pending, { action: 'reject', actor: approver, note, now: T0 });
    expect(decision.ok).toBe(true);
  });

  it('honours a custom minimum note length', () => {
    const policy = { ...DEFAULT_ORDER_POLICY, minNoteLength: 60 };
    const req = { action: 'lift' as const, actor: approver, note: NOTE, now: T0 };
    expect(decide(active, req).ok).toBe(true);
    expect(decide(active, req, policy)).toMatchObject({ ok: false, code: 'note_required' });
  });

  it('does not require a note to approve, submit or amend', () => {
    expect(decide(pending, { action: 'approve', actor: approver, now: T0 }).ok).toBe(true);
    expect(decide(orderIn('draft'), { action: 'submit', actor: drafter, now: T0 }).ok).toBe(true);
    expect(decide(active, { action: 'amend', actor: approver, now: T0 }).ok).toBe(true);
  });

  it('reports the authorization problem before the missing note', () => {
    const decision = decide(pending, { action: 'reject', actor: auditor, now: T0 });
    expect(decision).toMatchObject({ ok: false, code: 'forbidden_role' });
  });
});

describe('allowedActions', () => {
  it.each<[OrderStatus, Actor, OrderAction[]]>([
    ['draft', drafter, ['submit', 'withdraw']],
    ['draft', otherOfficer, ['submit']],
    ['draft', approver, []],
    ['pending_approval', drafter, ['withdraw']],
    ['pending_approval', approver, ['approve', 'reject']],
    ['scheduled', approver, ['withdraw', 'lift', 'amend']],
    ['scheduled', drafter, []],
    ['active', approver, ['lift', 'amend']],
    ['active', admin, ['lift', 'amend']],
    ['expired', admin, []],
    ['lifted', approver, []],
    ['active', auditor, []],
  ])('in %s, %o may %j', (status, actor, expected) => {
    expect(allowedActions(orderIn(status), actor, T0)).toEqual(expected);
  });

  it('offers only reject once the window of a pending order has passed', () => {
    const o = order({ state: 'pending_approval', startsAt: at(-2 * DAY_MS), endsAt: at(-1) });
    expect(allowedActions(o, approver, T0)).toEqual(['reject']);
  });

  it('follows the clock for approved orders', () => {
    const o = order({ state: 'approved' });
    expect(allowedActions(o, approver, T0)).toEqual(['withdraw', 'lift', 'amend']);
    expect(allowedActions(o, approver, o.startsAt)).toEqual(['lift', 'amend']);
    expect(allowedActions(o, approver, o.endsAt)).toEqual([]);
  });
});

describe('validateDraft', () => {
  const policy = DEFAULT_ORDER_POLICY;

  it('uses a 15-day maximum duration and a 30-day maximum lead by default', () => {
    expect(DEFAULT_ORDER_POLICY.maxDurationMs).toBe(15 * DAY_MS);
    expect(DEFAULT_ORDER_POLICY.maxStartLeadMs).toBe(30 * DAY_MS);
  });

  it('accepts a valid draft', () => {
    expect(validateDraft(validDraft(), policy, T0)).toEqual([]);
  });

  it('allows exactly 15 days', () => {
    const startsAt = at(HOUR_MS);
    const endsAt = new Date(startsAt.getTime() + 15 * DAY_MS);
    expect(validateDraft(validDraft({ startsAt, endsAt }), policy, T0)).toEqual([]);
  });

  it('refuses 15 days + 1 ms and says a longer suspension needs a new order', () => {
    const startsAt = at(HOUR_MS);
    const endsAt = new Date(startsAt.getTime() + 15 * DAY_MS + 1);
    const issues = validateDraft(validDraft({ startsAt, endsAt }), policy, T0);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe('endsAt');
    expect(issues[0]?.message).toContain('15 days');
    expect(issues[0]?.message).toContain('new order');
  });

  it('honours a custom maximum duration', () => {
    const shortPolicy = { ...policy, maxDurationMs: DAY_MS };
    const issues = validateDraft(validDraft(), shortPolicy, T0);
    expect(issues.map((i) => i.path)).toEqual(['endsAt']);
  });

  it.each([
    ['equal to', 0],
    ['before', -HOUR_MS],
  ])('refuses endsAt %s startsAt', (_label, deltaMs) => {
    const startsAt = at(DAY_MS);
    const endsAt = new Date(startsAt.getTime() + deltaMs);
    const issues = validateDraft(validDraft({ startsAt, endsAt }), policy, T0);
    expect(issues).toContainEqual({ path: 'endsAt', message: 'must be after startsAt' });
  });

  it('allows a start exactly 30 days ahead and refuses one 1 ms later', () => {
    const startsAt = at(30 * DAY_MS);
    const endsAt = new Date(startsAt.getTime() + DAY_MS);
    expect(validateDraft(validDraft({ startsAt, endsAt }), policy, T0)).toEqual([]);
    const later = validateDraft(validDraft({ startsAt, endsAt }), policy, at(-1));
    expect(later.map((i) => i.path)).toEqual(['startsAt']);
  });

  it('refuses an end that is not in the future', () => {
    const startsAt = at(-DAY_MS);
    expect(validateDraft(validDraft({ startsAt, endsAt: T0 }), policy, T0)).toContainEqual({
      path: 'endsAt',
      message: 'must be in the future',
    });
    expect(validateDraft(validDraft({ startsAt, endsAt: at(1) }), policy, T0)).toEqual([]);
  });

  it('refuses invalid dates', () => {
    const issues = validateDraft(
      validDraft({ startsAt: new Date('nope'), endsAt: new Date(Number.NaN) }),
      policy,
      T0,
    );
    expect(issues.map((i) => i.path)).toEqual(['startsAt', 'endsAt']);
  });

  it.each(['', '   ', 'Scam compound', `  ${'x'.repeat(19)}  `])(
    'refuses reasons %j',
    (reasons) => {
      const issues = validateDraft(validDraft({ reasons }), policy, T0);
      expect(issues.map((i) => i.path)).toEqual(['reasons']);
    },
  );

  it('accepts reasons of exactly 20 characters', () => {
    expect(validateDraft(validDraft({ reasons: 'x'.repeat(20) }), policy, T0)).toEqual([]);
  });

  it.each(['', '  \t'])('refuses legal basis %j', (legalBasis) => {
    const issues = validateDraft(validDraft({ legalBasis }), policy, T0);
    expect(issues.map((i) => i.path)).toEqual(['legalBasis']);
  });

  it.each<[string[], string[]]>([
    [[], ['services']],
    [['voice', 'fax'], ['services[1]']],
    [['VOICE'], ['services[0]']],
    [['sms', 'data', 'sms'], ['services[2]']],
  ])('refuses services %j', (services, paths) => {
    const issues = validateDraft(validDraft({ services }), policy, T0);
    expect(issues.map((i) => i.path)).toEqual(paths);
  });

  it.each([[['data']], [['sms', 'voice']]])('accepts services %j', (services) => {
    expect(validateDraft(validDraft({ services }), policy, T0)).toEqual([]);
  });

  it('requires at least one non-blank operator', () => {
    expect(validateDraft(validDraft({ operatorIds: [] }), policy, T0)).toEqual([
      { path: 'operatorIds', message: 'at least one operator is required' },
    ]);
    const blank = validateDraft(validDraft({ operatorIds: ['op-1', ' '] }), policy, T0);
    expect(blank.map((i) => i.path)).toEqual(['operatorIds[1]']);
  });

  it('reports every problem at once', () => {
    const issues = validateDraft(
      { startsAt: T0, endsAt: T0, reasons: '', legalBasis: '', services: [], operatorIds: [] },
      policy,
      T0,
    );
    expect(issues.map((i) => i.path)).toEqual([
      'endsAt',
      'endsAt',
      'reasons',
      'legalBasis',
      'services',
      'operatorIds',
    ]);
  });
});

describe('acknowledgementOverdue', () => {
  const deadline = 2 * HOUR_MS;

  it('is not overdue while unacknowledged within the deadline, including at the deadline', () => {
    const clock = createClock(T0);
    expect(acknowledgementOverdue(T0, null, deadline, clock.now())).toBe(false);
    clock.advance(deadline);
    expect(acknowledgementOverdue(T0, null, deadline, clock.now())).toBe(false);
  });

  it('is overdue 1 ms after the deadline when still unacknowledged', () => {
    expect(acknowledgementOverdue(T0, null, deadline, at(deadline + 1))).toBe(true);
  });

  it('is not overdue when acknowledged in time, however late it is now', () => {
    expect(acknowledgementOverdue(T0, at(deadline), deadline, at(10 * DAY_MS))).toBe(false);
  });

  it('stays overdue when the acknowledgement came late', () => {
    expect(acknowledgementOverdue(T0, at(deadline + 1), deadline, at(10 * DAY_MS))).toBe(true);
  });
});

describe('diffCells', () => {
  it('returns added and removed cells, sorted', () => {
    expect(diffCells(['c-3', 'c-1', 'c-2'], ['c-5', 'c-2', 'c-4', 'c-1'])).toEqual({
      added: ['c-4', 'c-5'],
      removed: ['c-3'],
    });
  });

  it('returns nothing for the same cells in another order', () => {
    expect(diffCells(['b', 'a'], ['a', 'b'])).toEqual({ added: [], removed: [] });
  });

  it('collapses duplicates', () => {
    expect(diffCells(['a', 'a'], ['b', 'b', 'c'])).toEqual({ added: ['b', 'c'], removed: ['a'] });
  });

  it('treats every cell as added for a new order and removed when emptied', () => {
    expect(diffCells([], ['z', 'y'])).toEqual({ added: ['y', 'z'], removed: [] });
    expect(diffCells(['z', 'y'], [])).toEqual({ added: [], removed: ['y', 'z'] });
  });
});
