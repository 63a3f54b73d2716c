/**
 * The group engine: per group key (a cell, a block of target numbers) and UTC day, a summary of
 * each line seen there, evaluated against the group rules after each batch. A rule is raised once
 * per key and day; lines that come to behave like the group later in the same day are added to
 * that alert as members, so the members do not depend on how records were batched.
 *
 * Memory is bounded: at most `MAX_MEMBERS_PER_KEY` lines per key and `MAX_KEYS_PER_STREAM` keys
 * per stream (see `admitMember` and `admitKey` for what is evicted and what that can miss).
 * Nothing here reads a clock or the database.
 *
 * Cost: a key is evaluated again only when what its rules read changed in a way that can add a
 * member (see `advance`), and a commit stores only the member lines that changed (one row each)
 * and the key's own facts when they changed, not the whole key.
 */
import { GROUP_RULE_LIST, type GroupRuleCode, type Thresholds } from '../rules/index.js';
import type { GroupEvidence, GroupKeyKind, GroupMember, GroupRule } from '../rules/rule.js';
import { addDistinct, HOUR_MS, NO_VALUES, noValues, RecordIds, WINDOW_HOURS } from '../windows.js';
import {
  ANSWERED,
  type GroupSighting,
  INTERNATIONAL,
  LONG_ANSWERED,
  ONE_RING,
  OUT,
  SHORT,
  URL,
  VOICE,
} from './sighting.js';

const DAY_MS = WINDOW_HOURS * HOUR_MS;
/** Lines tracked per key and day; a busy cell's idle lines make room first. */
export const MAX_MEMBERS_PER_KEY = 1_000;
/** Keys (per day) tracked per stream; keys with a single line make room first. */
export const MAX_KEYS_PER_STREAM = 200_000;
/** Distinct targets kept per line and per key: past every threshold that reads them. */
const MAX_TARGETS = 128;
/** Record hashes kept per line and key for deduplication; past this a repeat counts again. */
const MAX_RECORDS = 2_048;
/** Handsets kept per line and key. */
const MAX_DEVICES = 4;
/** A line with fewer records than this in a key is idle there: evicted first when it is full. */
const IDLE_RECORDS = 3;

export type GroupOutcome = 'accepted' | 'duplicate' | 'late';

export class MemberState implements GroupMember {
  operatorId: string | null = null;
  personKey: string | null = null;
  outgoingCalls = 0;
  answeredCalls = 0;
  shortOrUnanswered = 0;
  longAnswered = 0;
  incomingCalls = 0;
  smsSent = 0;
  urlSms = 0;
  oneRingCalls = 0;
  oneRingInternational = 0;
  /** Hashes of its record ids here (deduplication); lists start as the shared empty one. */
  records = new RecordIds();
  targetList: number[] = noValues();
  blockList: number[] = noValues();
  imeis: string[] = noValues();
  firstAt = Number.POSITIVE_INFINITY;
  lastAt = Number.NEGATIVE_INFINITY;
  /** Per group rule (bit = its index in `GROUP_RULE_LIST`): qualified at the last evaluation. */
  qualified = 0;
  /** Changed since the last export / the last evaluation (it is then in its key's list). */
  unsaved = false;
  unevaluated = false;
  /** Record hashes stored so far: chunks before the one holding the next are final. */
  savedRecords = 0;
  constructor(readonly msisdn: string) {}
  get targets(): number {
    return this.targetList.length;
  }
  get targetBlocks(): number {
    return this.blockList.length;
  }
}

const NOT_RAISED: ReadonlyMap<GroupRuleCode, Set<string>> = new Map();

export class GroupKeyState {
  readonly members = new Map<string, MemberState>();
  /** Distinct targets of the key, over all its lines (capped). */
  targetList: number[] = noValues();
  /**
   * Per rule raised, the member lines it was raised with: the shared empty map until a rule is
   * (most keys never raise one, and an empty map per key weighed more than its members' lines).
   */
  raised: ReadonlyMap<GroupRuleCode, Set<string>> = NOT_RAISED;
  /** Waits for the next export (it is then in its stream's `dirty`). */
  dirty = false;
  /** Its own facts (targets, raised) changed since the last export. */
  headerUnsaved = true;
  /** Members changed since the last export, and members evicted since then. */
  unsaved: MemberState[] = noValues();
  removedMembers: string[] = noValues();
  /** Waits for the next evaluation (it is then in its stream's `pending`). */
  pending = false;
  /** Members changed since the last evaluation. */
  unevaluated: MemberState[] = noValues();
  /**
   * What the last evaluation saw: the thresholds' epoch (-1: never evaluated with two or more
   * lines, or loaded from storage), the distinct targets, and whether a handset set changed since.
   */
  evaluatedEpoch = -1;
  evaluatedTargets = 0;
  handsetsChanged = false;
  /**
   * Per group rule (by index): its lines qualifying at the last evaluation; the shared empty
   * list until the key is first evaluated (with two lines or more).
   */
  qualifying: number[] = noValues();
  /** `<day>|<key>`: its id in storage. */
  readonly id: string;
  constructor(
    readonly key: string,
    readonly day: number,
  ) {
    this.id = stateKey(day, key);
  }
  /** The member lines `rule` was raised with, empty the first time. */
  raisedWith(rule: GroupRuleCode): Set<string> {
    let map = this.raised;
    if (map === NOT_RAISED) {
      map = new Map();
      this.raised = map;
    }
    let lines = map.get(rule);
    if (lines === undefined) {
      lines = new Set();
      (map as Map<GroupRuleCode, Set<string>>).set(rule, lines);
    }
    return lines;
  }
  get kind(): GroupKeyKind {
    return this.key.slice(0, this.key.indexOf(':')) as GroupKeyKind;
  }
}

/** A group alert's new member lines, and the group's evidence. */
export interface GroupAlert {
  stream: string;
  rule: GroupRuleCode;
  groupKey: string;
  windowStart: number;
  windowEnd: number;
  score: number;
  checks: GroupEvidence[];
  /** What the members share: the key itself, handsets, persons, timing. */
  shared: GroupShared;
  /** Every member line, including those raised before. */
  members: MemberSummary[];
  /** The lines added by this evaluation (all of them the first time). */
  added: string[];
}

export interface MemberSummary {
  msisdn: string;
  operatorId: string | null;
  personKey: string | null;
  outgoingCalls: number;
  shortOrUnanswered: number;
  incomingCalls: number;
  urlSms: number;
  oneRingCalls: number;
  targets: number;
  targetBlocks: number;
  imeis: string[];
  firstAt: string;
  lastAt: string;
}

export interface GroupShared {
  /** Handsets carrying two or more member lines. */
  handsets: string[];
  /** Persons registered to two or more member lines. */
  persons: number;
  linesOfSharedPersons: number;
  /** Spread of the members' first and last records, in minutes (synchronised bursts). */
  startSpreadMin: number;
  stopSpreadMin: number;
  distinctTargets: number;
}

class GroupStream {
  /** Newest UTC day seen: keys of days before the previous one are evicted. */
  newestDay = Number.NEGATIVE_INFINITY;
  /** Keys by `<day>|<key>`, and by day then key (looked up per sighting without a new string). */
  readonly keys = new Map<string, GroupKeyState>();
  readonly byDay = new Map<number, Map<string, GroupKeyState>>();
  /** Keys to export, and keys to evaluate. */
  readonly dirty = new Set<GroupKeyState>();
  readonly pending = new Set<GroupKeyState>();
  readonly removed = new Set<string>();
  /** Members and keys refused at the caps since start (for the logs and the benchmark). */
  refusedMembers = 0;
  refusedKeys = 0;
  /** Rule evaluations of a key since start (for the benchmark). */
  evaluations = 0;
}

function stateKey(day: number, key: string): string {
  return `${day}|${key}`;
}

export class GroupEngine {
  private readonly streams = new Map<string, GroupStream>();
  private thresholds: Thresholds;
  /** Bumped when the thresholds change: every key is then evaluated in full once. */
  private epoch = 0;
  private alerts: GroupAlert[] = [];

  constructor(thresholds: Thresholds) {
    this.thresholds = thresholds;
  }

  setThresholds(t: Thresholds): void {
    if (t !== this.thresholds && JSON.stringify(t) !== JSON.stringify(this.thresholds))
      this.epoch++;
    this.thresholds = t;
  }

  private stream(name: string): GroupStream {
    let s = this.streams.get(name);
    if (s === undefined) {
      s = new GroupStream();
      this.streams.set(name, s);
    }
    return s;
  }

  hasStream(name: string): boolean {
    return this.streams.has(name);
  }

  dropStream(name: string): void {
    this.streams.delete(name);
  }

  streamNames(): string[] {
    return [...this.streams.keys()];
  }

  /** Keys and member lines held, over every stream. */
  size(): {
    keys: number;
    members: number;
    refusedMembers: number;
    refusedKeys: number;
    evaluations: number;
  } {
    let keys = 0;
    let members = 0;
    let refusedMembers = 0;
    let refusedKeys = 0;
    let evaluations = 0;
    for (const s of this.streams.values()) {
      keys += s.keys.size;
      for (const k of s.keys.values()) members += k.members.size;
      refusedMembers += s.refusedMembers;
      refusedKeys += s.refusedKeys;
      evaluations += s.evaluations;
    }
    return { keys, members, refusedMembers, refusedKeys, evaluations };
  }

  ingest(streamName: string, g: GroupSighting): GroupOutcome {
    const s = this.stream(streamName);
    const day = Math.floor(g.at / DAY_MS);
    if (day > s.newestDay) {
      s.newestDay = day;
      this.evictDays(s);
    }
    if (day < s.newestDay - 1) return 'late';
    let keys = s.byDay.get(day);
    if (keys === undefined) {
      keys = new Map();
      s.byDay.set(day, keys);
    }
    let k = keys.get(g.key);
    if (k === undefined) {
      if (!this.admitKey(s)) {
        s.refusedKeys++;
        return 'accepted';
      }
      k = new GroupKeyState(g.key, day);
      s.keys.set(k.id, k);
      keys.set(g.key, k);
    }
    let m = k.members.get(g.msisdn);
    if (m === undefined) {
      if (!admitMember(k)) {
        s.refusedMembers++;
        return 'accepted';
      }
      m = new MemberState(g.msisdn);
      k.members.set(g.msisdn, m);
    }
    if (m.records.size < MAX_RECORDS && !m.records.add(g.record)) return 'duplicate';
    const f = g.flags;
    if (f & VOICE) {
      if (f & OUT) {
        m.outgoingCalls++;
        if (f & ANSWERED) m.answeredCalls++;
        if (f & SHORT) m.shortOrUnanswered++;
        if (f & LONG_ANSWERED) m.longAnswered++;
        if (f & ONE_RING) {
          m.oneRingCalls++;
          if (f & INTERNATIONAL) m.oneRingInternational++;
        }
      } else m.incomingCalls++;
    } else if (f & OUT) {
      m.smsSent++;
      if (f & URL) m.urlSms++;
    }
    if (f & OUT && g.target >= 0) {
      m.targetList = addDistinct(m.targetList, g.target, MAX_TARGETS);
      if (g.block >= 0) m.blockList = addDistinct(m.blockList, g.block, MAX_TARGETS);
      const targets = k.targetList.length;
      k.targetList = addDistinct(k.targetList, g.target, MAX_TARGETS);
      if (k.targetList.length !== targets) k.headerUnsaved = true;
    }
    if (g.imei !== '') {
      const imeis = m.imeis.length;
      m.imeis = addDistinct(m.imeis, g.imei, MAX_DEVICES);
      if (m.imeis.length !== imeis) k.handsetsChanged = true;
    }
    if (g.operatorId !== null) m.operatorId = g.operatorId;
    if (g.personKey !== null) m.personKey = g.personKey;
    if (g.at < m.firstAt) m.firstAt = g.at;
    if (g.at > m.lastAt) m.lastAt = g.at;
    if (!m.unsaved) {
      m.unsaved = true;
      k.unsaved = appended(k.unsaved, m);
    }
    if (!m.unevaluated) {
      m.unevaluated = true;
      k.unevaluated = appended(k.unevaluated, m);
    }
    if (!k.dirty) {
      k.dirty = true;
      s.dirty.add(k);
    }
    if (!k.pending) {
      k.pending = true;
      s.pending.add(k);
    }
    return 'accepted';
  }

  /**
   * Room for one more key: when the stream is full, the keys holding a single line (which no
   * group rule can raise) are dropped. What this can miss: a key evicted with one line that a
   * group later forms around starts again from that line's later records.
   */
  private admitKey(s: GroupStream): boolean {
    if (s.keys.size < MAX_KEYS_PER_STREAM) return true;
    for (const [sk, k] of s.keys) {
      if (k.members.size > 1 || k.raised.size > 0) continue;
      s.keys.delete(sk);
      s.byDay.get(k.day)?.delete(k.key);
      s.dirty.delete(k);
      s.pending.delete(k);
      s.removed.add(sk);
    }
    return s.keys.size < MAX_KEYS_PER_STREAM;
  }

  private evictDays(s: GroupStream): void {
    for (const [sk, k] of s.keys) {
      if (k.day >= s.newestDay - 1) continue;
      s.keys.delete(sk);
      s.dirty.delete(k);
      s.pending.delete(k);
      s.removed.add(sk);
    }
    for (const day of s.byDay.keys()) if (day < s.newestDay - 1) s.byDay.delete(day);
  }

  /** Whether alerts or state changes wait for the next `advance`. */
  hasDirty(): boolean {
    for (const s of this.streams.values()) if (s.dirty.size > 0 || s.pending.size > 0) return true;
    return false;
  }

  /**
   * Evaluates every key changed since the last call against the group rules of its kind and
   * returns the alerts raised or grown. Marks nothing exported: `exportChanges` does.
   *
   * A rule is evaluated again only when it can add a member: when a changed line newly
   * qualifies for it, or when something else it reads (`GroupRule.reads`) changed; otherwise its
   * qualifying lines are a subset of those it last saw (all raised if it was raised, too few or
   * too little if not), so it would add nobody. New thresholds, a key loaded from storage or a
   * key reaching its second line are evaluated in full.
   */
  advance(): GroupAlert[] {
    const t = this.thresholds as unknown as Record<GroupRuleCode, unknown>;
    for (const [name, s] of this.streams) {
      for (const k of s.pending) {
        k.pending = false;
        const changed = k.unevaluated;
        k.unevaluated = noValues();
        for (const m of changed) m.unevaluated = false;
        if (k.members.size < 2) {
          k.evaluatedEpoch = -1;
          continue;
        }
        if ((k.qualifying as readonly number[]) === NO_VALUES)
          k.qualifying = GROUP_RULE_LIST.map(() => 0);
        const full = k.evaluatedEpoch !== this.epoch;
        const targetsGrew = k.targetList.length !== k.evaluatedTargets;
        const kind = k.kind;
        let members: MemberState[] | undefined;
        for (let i = 0; i < GROUP_RULE_LIST.length; i++) {
          const rule = GROUP_RULE_LIST[i] as GroupRule<GroupRuleCode, unknown>;
          if (rule.keyKind !== kind) continue;
          const bit = 1 << i;
          const th = t[rule.code];
          let run = full;
          if (full) {
            k.qualifying[i] = 0;
            for (const m of k.members.values()) m.qualified &= ~bit;
          }
          let qualifying = k.qualifying[i] as number;
          for (const m of full ? k.members.values() : changed) {
            if (rule.qualifies(m, th)) {
              if ((m.qualified & bit) === 0) {
                m.qualified |= bit;
                qualifying++;
                run = true;
              }
            } else if (m.qualified & bit) {
              m.qualified &= ~bit;
              qualifying--;
            }
          }
          k.qualifying[i] = qualifying;
          // What else the rule reads can only matter while some line qualifies.
          if (
            !run &&
            qualifying > 0 &&
            ((targetsGrew && rule.reads.includes('distinctTargets')) ||
              (k.handsetsChanged && rule.reads.includes('handsets')))
          )
            run = true;
          if (!run) continue;
          members ??= [...k.members.values()];
          s.evaluations++;
          this.evaluate(name, k, rule, members, th);
        }
        k.evaluatedEpoch = this.epoch;
        k.evaluatedTargets = k.targetList.length;
        k.handsetsChanged = false;
      }
      s.pending.clear();
    }
    const out = this.alerts;
    this.alerts = [];
    return out;
  }

  private evaluate(
    stream: string,
    k: GroupKeyState,
    rule: GroupRule<GroupRuleCode, unknown>,
    all: MemberState[],
    t: unknown,
  ): void {
    const hit = rule.evaluate(
      { key: k.key, members: all, distinctTargets: k.targetList.length },
      t,
    );
    if (hit === undefined) return;
    const raised = k.raisedWith(rule.code);
    const added: string[] = [];
    for (const m of hit.members) {
      if (raised.has(m.msisdn)) continue;
      raised.add(m.msisdn);
      added.push(m.msisdn);
    }
    if (added.length === 0) return;
    k.headerUnsaved = true;
    if (!k.dirty) {
      k.dirty = true;
      this.stream(stream).dirty.add(k);
    }
    const members = [...raised]
      .map((msisdn) => k.members.get(msisdn))
      .filter((m) => m !== undefined);
    this.alerts.push({
      stream,
      rule: rule.code,
      groupKey: k.key,
      windowStart: k.day * DAY_MS,
      windowEnd: (k.day + 1) * DAY_MS,
      score: hit.score,
      checks: hit.evidence,
      shared: sharedOf(members, k.targetList.length),
      members: members.map(summaryOf),
      added,
    });
  }

  /**
   * What changed since the last export, to store with the stream's offsets: per changed key its
   * own facts when they changed and each changed member line (one row each), the member lines
   * evicted, and the keys removed (all their rows; a key removed and created again since is
   * stored again in full, after the removal).
   */
  exportChanges(streamName: string): GroupExport {
    const s = this.stream(streamName);
    const states: StoredRow[] = [];
    const removedMembers: { key: string; member: string }[] = [];
    for (const k of s.dirty) {
      k.dirty = false;
      const key = k.id;
      if (k.headerUnsaved) {
        k.headerUnsaved = false;
        states.push({ key, member: '', state: JSON.stringify(encodeHeader(k)) });
      }
      for (const m of k.unsaved) {
        m.unsaved = false;
        if (k.members.get(m.msisdn) !== m) continue;
        states.push({ key, member: m.msisdn, state: JSON.stringify(encodeMember(m)) });
        recordChunks(key, m, states);
      }
      k.unsaved = noValues();
      // Deleted before the rows above are written: a line evicted and seen again is stored anew.
      for (const member of k.removedMembers) removedMembers.push({ key, member });
      k.removedMembers = noValues();
    }
    s.dirty.clear();
    const removed = [...s.removed];
    s.removed.clear();
    return {
      newestDay: Number.isFinite(s.newestDay) ? s.newestDay : null,
      states,
      removed,
      removedMembers,
    };
  }

  /**
   * Replaces a stream's state with what was stored. A key stored whole (before member rows) is
   * marked to be stored again as rows at the next export.
   */
  importStream(streamName: string, data: GroupImport): void {
    const s = new GroupStream();
    if (data.newestDay !== null) s.newestDay = data.newestDay;
    for (const { key, member, state } of data.states) {
      if (member !== '') continue;
      const k = decodeHeader(state);
      if (k.day < s.newestDay - 1) {
        s.removed.add(key);
        continue;
      }
      k.headerUnsaved = false;
      if (k.unsaved.length > 0) {
        k.headerUnsaved = true;
        k.dirty = true;
        s.dirty.add(k);
      }
      s.keys.set(key, k);
      let keys = s.byDay.get(k.day);
      if (keys === undefined) {
        keys = new Map();
        s.byDay.set(k.day, keys);
      }
      keys.set(k.key, k);
    }
    const chunks: { m: MemberState; chunk: number; state: string }[] = [];
    for (const { key, member, state } of data.states) {
      if (member === '' || member.includes('#')) continue;
      const k = s.keys.get(key);
      if (k !== undefined) k.members.set(member, decodeMember(member, state));
    }
    for (const { key, member, state } of data.states) {
      const at = member.indexOf('#');
      if (at < 0) continue;
      const m = s.keys.get(key)?.members.get(member.slice(0, at));
      if (m !== undefined) chunks.push({ m, chunk: Number(member.slice(at + 1)), state });
    }
    chunks.sort((a, b) => a.chunk - b.chunk);
    for (const { m, state } of chunks) for (const h of unpackHashes(state)) m.records.add(h);
    // Members of keys stored whole wait, unsaved, for all their rows to be written.
    for (const k of s.keys.values())
      for (const m of k.members.values()) if (!m.unsaved) m.savedRecords = m.records.size;
    this.streams.set(streamName, s);
  }
}

/**
 * `list` with `value` at its end: a key's lists of changed lines stay the shared empty one while
 * it is idle (most keys are, between two commits), a fresh array from the first line.
 */
function appended<T>(list: T[], value: T): T[] {
  if ((list as readonly T[]) === NO_VALUES) return [value];
  list.push(value);
  return list;
}

/**
 * Room for one more line in a key: when it is full, the lines idle there (fewer than
 * `IDLE_RECORDS` records, which no rule's per-member floor can reach) are dropped once. What
 * this can miss: a line dropped while idle restarts from zero there, so in a cell crowded past
 * the cap by lines each doing little, a campaign line that starts slowly may not qualify that day.
 */
function admitMember(k: GroupKeyState): boolean {
  if (k.members.size < MAX_MEMBERS_PER_KEY) return true;
  const raised = new Set<string>();
  for (const r of k.raised.values()) for (const m of r) raised.add(m);
  for (const [msisdn, m] of k.members) {
    if (raised.has(msisdn)) continue;
    if (m.outgoingCalls + m.incomingCalls + m.smsSent < IDLE_RECORDS) {
      k.qualifying.forEach((n, i) => {
        if (m.qualified & (1 << i)) k.qualifying[i] = n - 1;
      });
      k.members.delete(msisdn);
      k.removedMembers = appended(k.removedMembers, msisdn);
      k.handsetsChanged = true;
    }
  }
  return k.members.size < MAX_MEMBERS_PER_KEY;
}

function sharedOf(members: readonly MemberState[], distinctTargets: number): GroupShared {
  const handsetLines = new Map<string, number>();
  const personLines = new Map<string, number>();
  let firstMin = Number.POSITIVE_INFINITY;
  let firstMax = Number.NEGATIVE_INFINITY;
  let lastMin = Number.POSITIVE_INFINITY;
  let lastMax = Number.NEGATIVE_INFINITY;
  for (const m of members) {
    for (const i of m.imeis) handsetLines.set(i, (handsetLines.get(i) ?? 0) + 1);
    if (m.personKey !== null) personLines.set(m.personKey, (personLines.get(m.personKey) ?? 0) + 1);
    firstMin = Math.min(firstMin, m.firstAt);
    firstMax = Math.max(firstMax, m.firstAt);
    lastMin = Math.min(lastMin, m.lastAt);
    lastMax = Math.max(lastMax, m.lastAt);
  }
  const persons = [...personLines.values()].filter((n) => n >= 2);
  return {
    handsets: [...handsetLines]
      .filter(([, n]) => n >= 2)
      .map(([i]) => i)
      .sort(),
    persons: persons.length,
    linesOfSharedPersons: persons.reduce((a, n) => a + n, 0),
    startSpreadMin: Math.round((firstMax - firstMin) / 60_000),
    stopSpreadMin: Math.round((lastMax - lastMin) / 60_000),
    distinctTargets,
  };
}

function summaryOf(m: MemberState): MemberSummary {
  return {
    msisdn: m.msisdn,
    operatorId: m.operatorId,
    personKey: m.personKey,
    outgoingCalls: m.outgoingCalls,
    shortOrUnanswered: m.shortOrUnanswered,
    incomingCalls: m.incomingCalls,
    urlSms: m.urlSms,
    oneRingCalls: m.oneRingCalls,
    targets: m.targets,
    targetBlocks: m.targetBlocks,
    imeis: [...m.imeis],
    firstAt: new Date(m.firstAt).toISOString(),
    lastAt: new Date(m.lastAt).toISOString(),
  };
}

/** One stored row: `<day>|<key>`, and a member line or '' for the key's own facts (JSON). */
export interface StoredRow {
  key: string;
  member: string;
  state: string;
}

export interface GroupExport {
  newestDay: number | null;
  /** The rows changed. */
  states: StoredRow[];
  /** Keys removed: every row of theirs. */
  removed: string[];
  /** Member lines evicted from a key that stays. */
  removedMembers: { key: string; member: string }[];
}

export interface GroupImport {
  newestDay: number | null;
  states: StoredRow[];
}

const MEMBER_FIELDS = [
  'outgoingCalls',
  'answeredCalls',
  'shortOrUnanswered',
  'longAnswered',
  'incomingCalls',
  'smsSent',
  'urlSms',
  'oneRingCalls',
  'oneRingInternational',
  'firstAt',
  'lastAt',
] as const;

/** Hash lists are packed (`packHashes`); keys stored whole (before member rows) hold arrays. */
type Hashes = string | number[];

/** A member row: operator, person, handsets, and its figures and hash lists (`packMember`). */
type StoredMember = [string | null, string | null, string[], string];
/** A member inside a key stored whole (before member rows). */
type WholeKeyMember = [
  string | null,
  string | null,
  number[],
  number[],
  number[],
  number[],
  string[],
];

interface StoredHeader {
  k: string;
  d: number;
  t: Hashes;
  r: [string, string[]][];
  /** Members, in keys stored whole before member rows. */
  m?: [string, ...WholeKeyMember][];
}

/**
 * A list of `hash53` values (record ids, targets, blocks) as base64 of their float64 bytes:
 * exact for integers below 2^53, and far quicker to write and read than JSON numbers.
 */
function packHashes(values: readonly number[]): string {
  // Copied into the shared scratch array: `Float64Array.from` walks an iterator and allocates.
  for (let i = 0; i < values.length; i++) packed[i] = values[i] as number;
  return Buffer.from(packed.buffer, 0, values.length * 8).toString('base64');
}

function unpackHashes(packed: Hashes): number[] {
  if (typeof packed !== 'string') return packed;
  const bytes = Buffer.from(packed, 'base64');
  const out = new Float64Array(bytes.length / 8);
  new Uint8Array(out.buffer).set(bytes);
  return Array.from(out);
}

function encodeHeader(k: GroupKeyState): StoredHeader {
  return {
    k: k.key,
    d: k.day,
    t: packHashes(k.targetList),
    r: [...k.raised].map(([rule, ms]) => [rule, [...ms]]),
  };
}

/** Room for a member's figures, two lengths and its capped hash lists, or its record hashes. */
const packed = new Float64Array(MEMBER_FIELDS.length + 2 + Math.max(MAX_RECORDS, 2 * MAX_TARGETS));

/**
 * A member's figures, then the lengths and values of its targets and blocks, as base64 of their
 * float64 bytes: one string per member, exact (hashes are below 2^53).
 */
function packMember(m: MemberState): string {
  let n = 0;
  for (const f of MEMBER_FIELDS) packed[n++] = m[f];
  packed[n++] = m.targetList.length;
  packed[n++] = m.blockList.length;
  for (const t of m.targetList) packed[n++] = t;
  for (const b of m.blockList) packed[n++] = b;
  return Buffer.from(packed.buffer, 0, n * 8).toString('base64');
}

/** Record hashes per stored chunk row (`<msisdn>#<chunk>`): a full chunk is never rewritten. */
const RECORD_CHUNK = 64;

/**
 * The chunk rows of a member's record hashes changed since it was last stored: from the chunk
 * holding the first hash not yet stored to the last (hashes keep their order once past the
 * first chunk).
 */
function recordChunks(key: string, m: MemberState, out: StoredRow[]): void {
  const size = m.records.size;
  if (size === m.savedRecords) return;
  const from = Math.floor(m.savedRecords / RECORD_CHUNK) * RECORD_CHUNK;
  let i = 0;
  m.records.forEach((h) => {
    if (i >= from) packed[i - from] = h;
    i++;
  });
  for (let c = from; c < size; c += RECORD_CHUNK) {
    const end = Math.min(size, c + RECORD_CHUNK) - from;
    out.push({
      key,
      member: `${m.msisdn}#${c / RECORD_CHUNK}`,
      state: Buffer.from(packed.buffer, (c - from) * 8, (end - (c - from)) * 8).toString('base64'),
    });
  }
  m.savedRecords = size;
}

function encodeMember(m: MemberState): StoredMember {
  return [m.operatorId, m.personKey, m.imeis, packMember(m)];
}

function decodeHeader(json: string): GroupKeyState {
  const v = JSON.parse(json) as StoredHeader;
  const k = new GroupKeyState(v.k, v.d);
  k.targetList = unpackHashes(v.t);
  for (const [rule, ms] of v.r) {
    const lines = k.raisedWith(rule as GroupRuleCode);
    for (const m of ms) lines.add(m);
  }
  for (const [msisdn, ...stored] of v.m ?? []) {
    const m = memberOf(msisdn, stored);
    m.unsaved = true;
    k.unsaved = appended(k.unsaved, m);
    k.members.set(msisdn, m);
  }
  return k;
}

function decodeMember(msisdn: string, json: string): MemberState {
  const [operatorId, personKey, imeis, figures] = JSON.parse(json) as StoredMember;
  const v = unpackHashes(figures);
  const m = new MemberState(msisdn);
  m.operatorId = operatorId;
  m.personKey = personKey;
  m.imeis = imeis.length === 0 ? noValues() : imeis;
  let n = 0;
  for (const f of MEMBER_FIELDS) m[f] = v[n++] as number;
  const targets = v[n++] as number;
  const blocks = v[n++] as number;
  if (targets > 0) m.targetList = v.slice(n, n + targets);
  if (blocks > 0) m.blockList = v.slice(n + targets, n + targets + blocks);
  return m;
}

function memberOf(msisdn: string, stored: WholeKeyMember): MemberState {
  const [operatorId, personKey, counts, records, targets, blocks, imeis] = stored;
  const m = new MemberState(msisdn);
  m.operatorId = operatorId;
  m.personKey = personKey;
  MEMBER_FIELDS.forEach((f, i) => {
    m[f] = counts[i] as number;
  });
  for (const r of unpackHashes(records)) m.records.add(r);
  m.targetList = unpackHashes(targets);
  m.blockList = unpackHashes(blocks);
  m.imeis = imeis;
  return m;
}
