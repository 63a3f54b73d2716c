/**
 * The group engine: per group key (a cell, a block of target numbers) and UTC day, a summary of
 * each line seen there, evaluated against the group rules after each batch. A rule is raised once
 * per key and day; lines that come to behave like the group later in the same day are added to
 * that alert as members, so the members do not depend on how records were batched.
 *
 * Memory is bounded: at most `MAX_MEMBERS_PER_KEY` lines per key and `MAX_KEYS_PER_STREAM` keys
 * per stream (see `admitMember` and `admitKey` for what is evicted and what that can miss).
 * Nothing here reads a clock or the database.
 */
import { GROUP_RULE_LIST, type GroupRuleCode, type Thresholds } from '../rules/index.js';
import type { GroupEvidence, GroupKeyKind, GroupMember } from '../rules/rule.js';
import { addDistinct, HOUR_MS, NO_VALUES, noValues, WINDOW_HOURS } from '../windows.js';
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
  /** Lists start as the shared empty one: most lines do little in most keys. */
  records: number[] = noValues();
  targetList: number[] = noValues();
  imeis: string[] = noValues();
  firstAt = Number.POSITIVE_INFINITY;
  lastAt = Number.NEGATIVE_INFINITY;
  constructor(readonly msisdn: string) {}
  get targets(): number {
    return this.targetList.length;
  }
}

export class GroupKeyState {
  readonly members = new Map<string, MemberState>();
  /** Distinct targets of the key, over all its lines (capped). */
  targetList: number[] = noValues();
  /** Per rule raised, the member lines it was raised with. */
  raised = new Map<GroupRuleCode, Set<string>>();
  dirty = false;
  constructor(
    readonly key: string,
    readonly day: number,
  ) {}
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
  readonly keys = new Map<string, GroupKeyState>();
  readonly dirty = new Set<GroupKeyState>();
  readonly removed = new Set<string>();
  /** Members and keys refused at the caps since start (for the logs and the benchmark). */
  refusedMembers = 0;
  refusedKeys = 0;
}

function stateKey(day: number, key: string): string {
  return `${day}|${key}`;
}

export class GroupEngine {
  private readonly streams = new Map<string, GroupStream>();
  private thresholds: Thresholds;
  private alerts: GroupAlert[] = [];

  constructor(thresholds: Thresholds) {
    this.thresholds = thresholds;
  }

  setThresholds(t: Thresholds): void {
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
  size(): { keys: number; members: number; refusedMembers: number; refusedKeys: number } {
    let keys = 0;
    let members = 0;
    let refusedMembers = 0;
    let refusedKeys = 0;
    for (const s of this.streams.values()) {
      keys += s.keys.size;
      for (const k of s.keys.values()) members += k.members.size;
      refusedMembers += s.refusedMembers;
      refusedKeys += s.refusedKeys;
    }
    return { keys, members, refusedMembers, refusedKeys };
  }

  ingest(streamName: string, g: GroupSighting): GroupOutcome {
    const s = this.stream(streamName);
    const day = Math.floor(g.at / DAY_MS);
    if (day > s.newestDay) {
      s.newestDay = day;
      this.evictDays(s);
    }
    if (day < s.newestDay - 1) return 'late';
    const sk = stateKey(day, g.key);
    let k = s.keys.get(sk);
    if (k === undefined) {
      if (!this.admitKey(s)) {
        s.refusedKeys++;
        return 'accepted';
      }
      k = new GroupKeyState(g.key, day);
      s.keys.set(sk, k);
      s.removed.delete(sk);
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
    if (m.records.includes(g.record)) return 'duplicate';
    if ((m.records as readonly number[]) === NO_VALUES) m.records = [g.record];
    else if (m.records.length < MAX_RECORDS) m.records.push(g.record);
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
      k.targetList = addDistinct(k.targetList, g.target, MAX_TARGETS);
    }
    if (g.imei !== '') m.imeis = addDistinct(m.imeis, g.imei, MAX_DEVICES);
    if (g.operatorId !== null) m.operatorId = g.operatorId;
    if (g.personKey !== null) m.personKey = g.personKey;
    if (g.at < m.firstAt) m.firstAt = g.at;
    if (g.at > m.lastAt) m.lastAt = g.at;
    if (!k.dirty) {
      k.dirty = true;
      s.dirty.add(k);
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
      s.dirty.delete(k);
      s.removed.add(sk);
    }
    return s.keys.size < MAX_KEYS_PER_STREAM;
  }

  private evictDays(s: GroupStream): void {
    for (const [sk, k] of s.keys) {
      if (k.day >= s.newestDay - 1) continue;
      s.keys.delete(sk);
      s.dirty.delete(k);
      s.removed.add(sk);
    }
  }

  /** Whether alerts or state changes wait for the next `advance`. */
  hasDirty(): boolean {
    for (const s of this.streams.values()) if (s.dirty.size > 0) return true;
    return false;
  }

  /**
   * Evaluates every key changed since the last call against the group rules of its kind and
   * returns the alerts raised or grown. Marks nothing exported: `exportChanges` does.
   */
  advance(): GroupAlert[] {
    const t = this.thresholds as unknown as Record<GroupRuleCode, unknown>;
    for (const [name, s] of this.streams) {
      for (const k of s.dirty) {
        if (k.members.size < 2) continue;
        const kind = k.kind;
        for (const rule of GROUP_RULE_LIST) {
          if (rule.keyKind !== kind) continue;
          const hit = rule.evaluate(
            { key: k.key, members: [...k.members.values()], distinctTargets: k.targetList.length },
            t[rule.code],
          );
          if (hit === undefined) continue;
          let raised = k.raised.get(rule.code);
          if (raised === undefined) {
            raised = new Set();
            k.raised.set(rule.code, raised);
          }
          const added: string[] = [];
          for (const m of hit.members) {
            if (raised.has(m.msisdn)) continue;
            raised.add(m.msisdn);
            added.push(m.msisdn);
          }
          if (added.length === 0) continue;
          const members = [...raised]
            .map((msisdn) => k.members.get(msisdn))
            .filter((m) => m !== undefined);
          this.alerts.push({
            stream: name,
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
      }
    }
    const out = this.alerts;
    this.alerts = [];
    return out;
  }

  /** The keys changed and removed since the last export, to store with the stream's offsets. */
  exportChanges(streamName: string): GroupExport {
    const s = this.stream(streamName);
    const states: { key: string; state: string }[] = [];
    for (const k of s.dirty) {
      k.dirty = false;
      states.push({ key: stateKey(k.day, k.key), state: JSON.stringify(encodeKey(k)) });
    }
    s.dirty.clear();
    const removed = [...s.removed];
    s.removed.clear();
    return { newestDay: Number.isFinite(s.newestDay) ? s.newestDay : null, states, removed };
  }

  /** Replaces a stream's state with what was stored. */
  importStream(streamName: string, data: GroupImport): void {
    const s = new GroupStream();
    if (data.newestDay !== null) s.newestDay = data.newestDay;
    for (const { key, state } of data.states) {
      const k = decodeKey(state);
      if (k.day < s.newestDay - 1) {
        s.removed.add(key);
        continue;
      }
      s.keys.set(key, k);
    }
    this.streams.set(streamName, s);
  }
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
    if (m.outgoingCalls + m.incomingCalls + m.smsSent < IDLE_RECORDS) k.members.delete(msisdn);
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
    imeis: [...m.imeis],
    firstAt: new Date(m.firstAt).toISOString(),
    lastAt: new Date(m.lastAt).toISOString(),
  };
}

export interface GroupExport {
  newestDay: number | null;
  /** Each changed key as `<day>|<key>` and its state (JSON). */
  states: { key: string; state: string }[];
  removed: string[];
}

export interface GroupImport {
  newestDay: number | null;
  states: { key: string; state: string }[];
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

interface StoredKey {
  k: string;
  d: number;
  t: number[];
  r: [string, string[]][];
  m: [string, string | null, string | null, number[], number[], number[], string[]][];
}

function encodeKey(k: GroupKeyState): StoredKey {
  return {
    k: k.key,
    d: k.day,
    t: k.targetList,
    r: [...k.raised].map(([rule, ms]) => [rule, [...ms]]),
    m: [...k.members.values()].map((m) => [
      m.msisdn,
      m.operatorId,
      m.personKey,
      MEMBER_FIELDS.map((f) => m[f]),
      m.records,
      m.targetList,
      m.imeis,
    ]),
  };
}

function decodeKey(json: string): GroupKeyState {
  const v = JSON.parse(json) as StoredKey;
  const k = new GroupKeyState(v.k, v.d);
  k.targetList = v.t;
  for (const [rule, ms] of v.r) k.raised.set(rule as GroupRuleCode, new Set(ms));
  for (const [msisdn, operatorId, personKey, counts, records, targets, imeis] of v.m) {
    const m = new MemberState(msisdn);
    m.operatorId = operatorId;
    m.personKey = personKey;
    MEMBER_FIELDS.forEach((f, i) => {
      m[f] = counts[i] as number;
    });
    m.records = records;
    m.targetList = targets;
    m.imeis = imeis;
    k.members.set(msisdn, m);
  }
  return k;
}
