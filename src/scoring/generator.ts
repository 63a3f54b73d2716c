/**
 * Synthetic CDR traffic for tests, evaluation and benchmarks: a seeded population of lines with a
 * diurnal rhythm, personal contacts and home/work cells, with each scam pattern planted in a
 * small share of lines, and hard negatives (busy but legitimate lines) beside them.
 */

import { mulberry32, seededDraws } from '../platform/seeded-random.js';
import { MINUTE_MS } from '../platform/time.js';
import type { Cdr } from './cdr.js';
import {
  type CampaignLabel,
  type CampaignOptions,
  type GroupHardNegativeKind,
  generateCampaignTraffic,
  generatedRecord,
} from './generator-campaigns.js';
import type { RuleCode } from './rules/index.js';
import { HOUR_MS } from './windows.js';

/** Rules the generator plants (new_line_burst needs registrations, which it does not write). */
export const PLANTED_RULES = [
  'high_volume_calling',
  'short_call_burst',
  'wangiri',
  'simbox',
  'sms_blast_urls',
  'imei_multi_sim',
] as const satisfies readonly RuleCode[];

export interface Labels {
  seed: number;
  lines: number;
  hours: number;
  start: string;
  /** Per rule, the lines (or for imei_multi_sim the IMEIs) it should flag. */
  positives: Record<string, string[]>;
  /** Busy but legitimate lines that no rule should flag. */
  hardNegatives: string[];
  records: number;
  /** Traffic generated with `campaigns`: the coordinated campaigns and their members. */
  campaigns?: CampaignLabel[];
  /** Traffic generated with `campaigns`: legitimate groups no rule should flag, by kind. */
  groupHardNegatives?: Record<GroupHardNegativeKind, string[]>;
  /** Traffic generated with `campaigns`: the ordinary lines. */
  normalLines?: string[];
}

/** Relative call intensity by hour of day (local time ≈ UTC+7): quiet at night, peaks at 10 and 19. */
const DIURNAL = [
  0.15, 0.08, 0.05, 0.04, 0.05, 0.15, 0.4, 0.8, 1.1, 1.3, 1.4, 1.3, 1.2, 1.2, 1.2, 1.1, 1.1, 1.2,
  1.4, 1.5, 1.3, 1.0, 0.7, 0.35,
];
const FOREIGN = ['+855', '+95', '+84', '+856', '+86', '+234', '+225', '+44'];

export interface GenerateOptions {
  lines: number;
  hours: number;
  seed: number;
  start?: number;
  /** Share of lines for each planted pattern (at least one line each). */
  share?: number;
  /**
   * Coordinated campaigns instead of single-line patterns: `lines` ordinary lines of a
   * population realistic for group rules, plus campaigns of each shape and group hard negatives.
   */
  campaigns?: CampaignOptions;
  /** Share of all records that are data records (see `addDataRecords`); none by default. */
  dataShare?: number;
}

/**
 * Arrival order: by event time with jitter within a few minutes (out of order), and 1% of
 * records delivered twice, the copy a few dozen records after the original.
 */
function arrivalOrder(records: Cdr[], rand: () => number): Cdr[] {
  const jittered = records.map((r) => ({ r, k: r.startedAt + Math.floor(rand() * 4 * MINUTE_MS) }));
  jittered.sort((a, b) => a.k - b.k);
  const out: Cdr[] = [];
  const replays: { at: number; r: Cdr }[] = [];
  for (const { r } of jittered) {
    out.push(r);
    if (rand() < 0.01) replays.push({ at: out.length + 1 + Math.floor(rand() * 50), r });
    while (replays.length > 0 && (replays[0] as { at: number }).at <= out.length)
      out.push((replays.shift() as { r: Cdr }).r);
  }
  for (const x of replays) out.push(x.r);
  return out;
}

function generateCampaigns(opts: GenerateOptions, campaigns: CampaignOptions, start: number) {
  const traffic = generateCampaignTraffic({ ...opts, start, campaigns });
  const ordered = arrivalOrder(traffic.records, mulberry32(opts.seed));
  const end = start + opts.hours * HOUR_MS;
  const out = opts.dataShare ? addDataRecords(ordered, opts.seed, opts.dataShare, end) : ordered;
  const labels: Labels = {
    seed: opts.seed,
    lines: opts.lines,
    hours: opts.hours,
    start: new Date(start).toISOString(),
    positives: Object.fromEntries(PLANTED_RULES.map((r) => [r, []])),
    hardNegatives: Object.values(traffic.groupHardNegatives).flat(),
    records: out.length,
    campaigns: traffic.campaigns,
    groupHardNegatives: traffic.groupHardNegatives,
    normalLines: traffic.normalLines,
  };
  return { records: out, labels };
}

export function generateTraffic(opts: GenerateOptions): { records: Cdr[]; labels: Labels } {
  const start = opts.start ?? Date.parse('2026-11-24T00:00:00Z');
  if (opts.campaigns !== undefined) return generateCampaigns(opts, opts.campaigns, start);
  const rand = mulberry32(opts.seed);
  const end = start + opts.hours * HOUR_MS;
  const { int, pick, digits } = seededDraws(rand);
  const records: Cdr[] = [];
  let seq = 0;
  const lineNumber = (i: number) => `+668${String(10_000_000 + i).slice(-8)}`;
  const imsiOf = (i: number) => `52001${String(i).padStart(10, '0')}`;
  const imeiOf = (i: number) =>
    `35${String(opts.seed % 1000).padStart(3, '0')}${String(i).padStart(10, '0')}`;
  const cellOf = (n: number) => `520-01-${100 + (n % 50)}-${n}`;

  interface Line {
    i: number;
    msisdn: string;
    imsi: string;
    imei: string;
    cells: string[];
  }
  const line = (i: number): Line => ({
    i,
    msisdn: lineNumber(i),
    imsi: imsiOf(i),
    imei: imeiOf(i),
    cells: [cellOf(int(0, 5000)), cellOf(int(0, 5000)), cellOf(int(0, 5000))],
  });
  const emit = (l: Line, over: Partial<Cdr> & { startedAt: number }) => {
    if (over.startedAt >= end) return;
    seq++;
    records.push(generatedRecord(l, `g${opts.seed}-${seq}`, pick(l.cells), over));
  };
  const at = (hour: number) => start + hour * HOUR_MS + Math.floor(rand() * HOUR_MS);

  /** An ordinary subscriber: a few calls and SMS a day to contacts, calls back from them. */
  const ordinary = (l: Line, scale: number) => {
    const contacts = Array.from({ length: int(5, 30) }, () => `+668${digits(8)}`);
    for (let h = 0; h < opts.hours; h++) {
      const lambda = 0.35 * scale * (DIURNAL[h % 24] as number);
      let n = 0;
      while (rand() < lambda / (n + 1)) n++;
      for (let k = 0; k < n; k++) {
        const other = pick(contacts);
        const r = rand();
        if (r < 0.45) {
          const answered = rand() < 0.85;
          emit(l, {
            startedAt: at(h),
            otherParty: other,
            answered,
            durationSec: answered ? int(15, 600) : int(0, 20),
          });
        } else if (r < 0.8) {
          emit(l, {
            startedAt: at(h),
            direction: 'mt',
            otherParty: other,
            answered: true,
            durationSec: int(15, 400),
          });
        } else {
          emit(l, { startedAt: at(h), type: 'sms', otherParty: other, containsUrl: rand() < 0.03 });
        }
      }
    }
  };

  const n = Math.max(10, opts.lines);
  const share = opts.share ?? 0.01;
  const perPattern = Math.max(1, Math.round(n * share));
  const positives: Record<string, string[]> = Object.fromEntries(PLANTED_RULES.map((r) => [r, []]));
  const hardNegatives: string[] = [];
  const planted = new Map<number, string>();
  const kinds = [...PLANTED_RULES, 'busy_legit', 'delivery', 'family_phone'];
  let next = 0;
  for (const kind of kinds)
    for (let k = 0; k < perPattern && next < n; k++) planted.set(next++, kind);

  const dayHour = () => int(0, Math.max(0, Math.min(opts.hours, 24) - 2));
  /** A start hour leaving 12 hours of room before the end of the traffic. */
  const burstStart = () => int(0, Math.max(0, opts.hours - 13));
  for (let i = 0; i < n; i++) {
    const l = line(i);
    const kind = planted.get(i);
    switch (kind) {
      case 'high_volume_calling': {
        positives.high_volume_calling?.push(l.msisdn);
        ordinary(l, 1);
        const h0 = burstStart();
        for (let k = 0; k < int(140, 220); k++)
          emit(l, {
            startedAt: start + h0 * HOUR_MS + Math.floor(rand() * 12 * HOUR_MS),
            otherParty: `+668${digits(8)}`,
            answered: true,
            durationSec: int(30, 240),
          });
        break;
      }
      case 'short_call_burst': {
        positives.short_call_burst?.push(l.msisdn);
        ordinary(l, 1);
        const debtors = Array.from({ length: 25 }, () => `+668${digits(8)}`);
        const h0 = burstStart();
        for (let k = 0; k < int(110, 160); k++) {
          const answered = rand() < 0.55;
          emit(l, {
            startedAt: start + h0 * HOUR_MS + Math.floor(rand() * 12 * HOUR_MS),
            otherParty: pick(debtors),
            answered,
            durationSec: answered ? int(1, 40) : 0,
          });
        }
        break;
      }
      case 'wangiri': {
        positives.wangiri?.push(l.msisdn);
        ordinary(l, 0.5);
        const h = dayHour();
        for (let k = 0; k < int(40, 70); k++)
          emit(l, {
            startedAt: at(h),
            otherParty: `${pick(FOREIGN)}${digits(8)}`,
            answered: false,
            durationSec: int(0, 2),
          });
        break;
      }
      case 'simbox': {
        positives.simbox?.push(l.msisdn);
        const cell = pick(l.cells);
        for (let k = 0; k < int(70, 95); k++)
          emit(l, {
            startedAt: at(int(0, Math.min(opts.hours, 24) - 1)),
            otherParty: `+668${digits(8)}`,
            cellId: cell,
            answered: true,
            durationSec: int(30, 300),
          });
        break;
      }
      case 'sms_blast_urls': {
        positives.sms_blast_urls?.push(l.msisdn);
        ordinary(l, 0.5);
        const h = dayHour();
        for (let k = 0; k < int(60, 120); k++)
          emit(l, {
            startedAt: at(h),
            type: 'sms',
            otherParty: `+668${digits(8)}`,
            containsUrl: true,
          });
        break;
      }
      case 'imei_multi_sim': {
        positives.imei_multi_sim?.push(l.imei);
        const h0 = dayHour();
        for (let s = 0; s < int(6, 9); s++) {
          const sim: Line = { ...line(n + i * 16 + s), imei: l.imei, cells: l.cells };
          for (let k = 0; k < int(3, 8); k++)
            emit(sim, {
              startedAt: start + h0 * HOUR_MS + Math.floor(rand() * 2 * HOUR_MS),
              otherParty: `+668${digits(8)}`,
              answered: true,
              durationSec: int(20, 200),
            });
        }
        break;
      }
      case 'busy_legit': {
        // A shop owner: 90 calls a day, mostly answered, many calls back.
        hardNegatives.push(l.msisdn);
        const customers = Array.from({ length: 70 }, () => `+668${digits(8)}`);
        for (let k = 0; k < 90; k++)
          emit(l, {
            startedAt: at(int(1, Math.min(opts.hours, 24) - 1)),
            otherParty: pick(customers),
            answered: true,
            durationSec: int(20, 300),
          });
        for (let k = 0; k < 60; k++)
          emit(l, {
            startedAt: at(int(1, Math.min(opts.hours, 24) - 1)),
            direction: 'mt',
            otherParty: pick(customers),
            answered: true,
            durationSec: int(20, 300),
          });
        break;
      }
      case 'delivery': {
        // A courier: many distinct numbers, short calls, but moving through cells and texting.
        hardNegatives.push(l.msisdn);
        for (let k = 0; k < 70; k++)
          emit(l, {
            startedAt: at(int(1, Math.min(opts.hours, 24) - 1)),
            otherParty: `+668${digits(8)}`,
            cellId: cellOf(int(0, 5000)),
            answered: rand() < 0.8,
            durationSec: int(5, 60),
          });
        for (let k = 0; k < 25; k++)
          emit(l, {
            startedAt: at(int(1, Math.min(opts.hours, 24) - 1)),
            type: 'sms',
            otherParty: `+668${digits(8)}`,
          });
        for (let k = 0; k < 15; k++)
          emit(l, {
            startedAt: at(int(1, Math.min(opts.hours, 24) - 1)),
            direction: 'mt',
            otherParty: `+668${digits(8)}`,
            answered: true,
            durationSec: 30,
          });
        break;
      }
      case 'family_phone': {
        // One handset shared by three family SIMs: below the multi-SIM threshold.
        hardNegatives.push(l.msisdn);
        ordinary(l, 1);
        for (let s = 1; s <= 2; s++) ordinary({ ...line(n + i * 16 + s), imei: l.imei }, 1);
        break;
      }
      default:
        ordinary(l, 1);
    }
  }
  const out = arrivalOrder(records, rand);
  const all = opts.dataShare ? addDataRecords(out, opts.seed, opts.dataShare, end) : out;
  return {
    records: all,
    labels: {
      seed: opts.seed,
      lines: n,
      hours: opts.hours,
      start: new Date(start).toISOString(),
      positives,
      hardNegatives,
      records: all.length,
    },
  };
}

/** Servers lines reach, each at a fixed documentation address (RFC 5737, RFC 3849). */
const SERVERS = [
  ['www.google.com', '192.0.2.10'],
  ['graph.facebook.com', '192.0.2.20'],
  ['scontent.xx.fbcdn.net', '192.0.2.21'],
  ['www.youtube.com', '192.0.2.30'],
  ['line.me', '198.51.100.40'],
  ['www.tiktok.com', '198.51.100.50'],
  ['shopee.co.th', '198.51.100.60'],
  ['api.grab.com', '2001:db8::70'],
  ['', '203.0.113.80'],
] as const;

/**
 * Interleaves IP detail records (`type: "data"`) with the voice and SMS ones: after a record, the
 * same line reaches a server within a minute, so that data are `share` of all records. A record
 * in fifty goes to an address of its own in 203.0.113.0/24 with no host. Data records draw from
 * their own random sequence, so the voice and SMS records (and every line rule's figures) are
 * the same with or without them.
 */
export function addDataRecords(
  records: readonly Cdr[],
  seed: number,
  share: number,
  end: number,
): Cdr[] {
  const rand = mulberry32(seed ^ 0x5eed_da7a);
  const perRecord = share / (1 - share);
  const out: Cdr[] = [];
  let n = 0;
  for (const r of records) {
    out.push(r);
    if (rand() >= perRecord) continue;
    const startedAt = Math.min(end - 1, r.startedAt + Math.floor(rand() * MINUTE_MS));
    const odd = rand() < 0.02;
    const [host, remoteIp] = odd
      ? ['', `203.0.113.${Math.floor(rand() * 256)}`]
      : (SERVERS[Math.floor(rand() * SERVERS.length)] as (typeof SERVERS)[number]);
    out.push({
      ...r,
      recordId: `d${seed}-${++n}`,
      type: 'data',
      direction: 'mo',
      otherParty: '',
      remoteIp,
      host,
      startedAt,
      durationSec: 0,
      answered: false,
      containsUrl: false,
    });
  }
  return out;
}

export interface RuleQuality {
  rule: string;
  planted: number;
  flagged: number;
  truePositives: number;
  precision: number | null;
  recall: number | null;
}

/** Precision and recall per planted rule, from alerts `{ msisdn, rule, imei }`. */
export function evaluateAlerts(
  labels: Labels,
  alerts: { msisdn: string; rule: string; imei: string | null }[],
): { rules: RuleQuality[]; hardNegativesFlagged: string[] } {
  const negatives = new Set(labels.hardNegatives);
  const rules = PLANTED_RULES.map((rule) => {
    const planted = new Set(labels.positives[rule] ?? []);
    const flagged = new Set(
      alerts
        .filter((a) => a.rule === rule)
        .map((a) => (rule === 'imei_multi_sim' ? (a.imei ?? '') : a.msisdn)),
    );
    const tp = [...flagged].filter((x) => planted.has(x)).length;
    return {
      rule,
      planted: planted.size,
      flagged: flagged.size,
      truePositives: tp,
      precision: flagged.size === 0 ? null : tp / flagged.size,
      recall: planted.size === 0 ? null : tp / planted.size,
    };
  });
  const hardNegativesFlagged = [
    ...new Set(alerts.map((a) => a.msisdn).filter((m) => negatives.has(m))),
  ];
  return { rules, hardNegativesFlagged };
}
