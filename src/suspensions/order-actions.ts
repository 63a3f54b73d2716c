/**
 * Every action on a suspension order, in one table: the lifecycle's transitions and roles, the
 * note rule, the audit action, the HTTP operation and the console's button all derive from it.
 * Adding an action is one entry here plus, for a new `handler`, its verb.
 */
import type { ConsoleRole } from '../access/roles.js';
import type { OrderStatus, StoredOrderState } from './lifecycle.js';

/**
 * `none`: the console asks for no note (the API still records one if sent); `optional`: the
 * console offers a note; `required`: refused without a note of the policy's minimum length;
 * `required_if_scheduled`: required when the order is already issued and not yet in force.
 */
export type NoteRule = 'none' | 'optional' | 'required' | 'required_if_scheduled';

export interface OrderActionSpec {
  /**
   * `act`: a state change with an optional note (`actOnOrder`, one generic route and form);
   * `amend`: a new version with its own body (`amendOrder`); `review`: a record on an issued
   * order that leaves its state as it is (`reviewOrder`).
   */
  handler: 'act' | 'amend' | 'review';
  /** From which status the action is allowed, and the stored state it leads to. */
  from: Partial<Record<OrderStatus, StoredOrderState>>;
  /** Roles that may take it; the four-eyes and drafter rules in `lifecycle.ts` come on top. */
  roles: readonly ConsoleRole[];
  note: NoteRule;
  /** The audit row's action on success (a refusal is audited as `order.<action>`). */
  audit: `order.${string}`;
  /** What the transition does to the order, as `decide` reports it. */
  event: `order.${string}`;
  /** The console's notice after success: "Done: <done>." */
  done: string;
  label: string;
  /** The console button's class. */
  kind: '' | 'secondary' | 'danger';
  operationId: string;
  summary: string;
}

const DRAFTING: readonly ConsoleRole[] = ['officer', 'admin'];
const DECIDING: readonly ConsoleRole[] = ['approver', 'admin'];

/** In the order the console shows the buttons and `allowedActions` lists them. */
export const ORDER_ACTION_TABLE = {
  submit: {
    handler: 'act',
    from: { draft: 'pending_approval' },
    roles: DRAFTING,
    note: 'none',
    audit: 'order.submitted',
    event: 'order.submitted',
    done: 'submitted',
    label: 'Submit for approval',
    kind: '',
    operationId: 'submitOrder',
    summary: 'Submit a draft for approval (drafter: officer or admin)',
  },
  approve: {
    handler: 'act',
    from: { pending_approval: 'approved' },
    roles: DECIDING,
    note: 'optional',
    audit: 'order.approved',
    event: 'order.approved',
    done: 'approved',
    label: 'Approve and issue',
    kind: '',
    operationId: 'approveOrder',
    summary: 'Approve (approver or admin other than the drafter); freezes cells',
  },
  reject: {
    handler: 'act',
    from: { pending_approval: 'rejected' },
    roles: DECIDING,
    note: 'required',
    audit: 'order.rejected',
    event: 'order.rejected',
    done: 'rejected',
    label: 'Reject',
    kind: 'danger',
    operationId: 'rejectOrder',
    summary: 'Reject with a note (approver or admin other than the drafter)',
  },
  withdraw: {
    handler: 'act',
    from: { draft: 'withdrawn', pending_approval: 'withdrawn', scheduled: 'withdrawn' },
    /** For a scheduled order; a draft or pending version only by its drafter, whatever the role. */
    roles: DECIDING,
    note: 'required_if_scheduled',
    audit: 'order.withdrawn',
    event: 'order.withdrawn',
    done: 'withdrawn',
    label: 'Withdraw',
    kind: 'secondary',
    operationId: 'withdrawOrder',
    summary: 'Withdraw a draft or pending order, or a scheduled one',
  },
  lift: {
    handler: 'act',
    from: { scheduled: 'lifted', active: 'lifted' },
    roles: DECIDING,
    note: 'required',
    audit: 'order.lifted',
    event: 'order.lifted',
    done: 'lifted',
    label: 'Lift now',
    kind: 'danger',
    operationId: 'liftOrder',
    summary: 'Lift a scheduled or active order early, with a note',
  },
  amend: {
    handler: 'amend',
    from: { scheduled: 'superseded', active: 'superseded' },
    roles: DECIDING,
    note: 'none',
    audit: 'order.amendment_drafted',
    event: 'order.superseded',
    done: 'amendment submitted',
    label: 'Amend (new version)',
    kind: 'secondary',
    operationId: 'amendOrder',
    summary: 'Change a scheduled or active order: a new version pending approval',
  },
  review: {
    handler: 'review',
    from: { scheduled: 'approved', active: 'approved' },
    roles: DECIDING,
    note: 'required',
    audit: 'order.reviewed',
    event: 'order.reviewed',
    done: 'reviewed',
    label: 'Record review',
    kind: '',
    operationId: 'reviewOrder',
    summary: 'Record the review of a scheduled or active order, with a note',
  },
} as const satisfies Record<string, OrderActionSpec>;

type Table = typeof ORDER_ACTION_TABLE;
export type OrderVerb = keyof Table;
type WithHandler<H> = { [K in OrderVerb]: Table[K]['handler'] extends H ? K : never }[OrderVerb];
/** Actions of the state machine: offered in `allowedActions`, decided by `decide`. */
export type OrderAction = WithHandler<'act' | 'amend'>;
/** Actions taken through `actOnOrder`, one generic route and one form each. */
export type SimpleOrderAction = WithHandler<'act'>;

export const ORDER_VERBS = Object.keys(ORDER_ACTION_TABLE) as OrderVerb[];

function withHandler<K extends OrderVerb>(handlers: readonly string[]) {
  const keys = ORDER_VERBS.filter((k) => handlers.includes(ORDER_ACTION_TABLE[k].handler));
  return keys as unknown as readonly [K, ...K[]];
}

export const ORDER_ACTIONS = withHandler<OrderAction>(['act', 'amend']);
export const SIMPLE_ORDER_ACTIONS = withHandler<SimpleOrderAction>(['act']);

export function orderActionSpec(verb: OrderVerb): OrderActionSpec {
  return ORDER_ACTION_TABLE[verb];
}

export function isSimpleOrderAction(verb: string): verb is SimpleOrderAction {
  return (SIMPLE_ORDER_ACTIONS as readonly string[]).includes(verb);
}

/** Does this action need a note on an order with this status? */
export function needsNote(verb: OrderVerb, status: OrderStatus): boolean {
  const rule = ORDER_ACTION_TABLE[verb].note;
  return rule === 'required' || (rule === 'required_if_scheduled' && status === 'scheduled');
}
