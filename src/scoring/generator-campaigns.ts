/**
 * Synthetic traffic for group detection (issue 15): a population of ordinary lines that is
 * realistic for group rules (a few hundred cells, some dense, shared popular numbers, families),
 * coordinated campaigns that spread their work across many SIMs so that every member stays under
 * every line rule's default threshold, and the legitimate groups that look like them.
 *
 * Every campaign member stays under these line-rule defaults (src/scoring/rules/*.ts):
 * simbox needs 60 outgoing calls a day, so a member makes at most 55; wangiri needs 30 one-ring
 * calls in an hour and sms_blast_urls 50 URL SMS in an hour, so a member makes at most 20 and 35;
 * new_line_burst needs 40 outgoing in an hour; imei_multi_sim needs 5 SIMs on a handset in a
 * day, so handsets cycle two or three. Campaigns work on the first UTC day only, so no 24-hour
 * window holds two shifts.
 */

import { mulberry32, seededDraws } from '../platform/seeded-random.js';
import { HOUR_MS, MINUTE_MS, SECOND_MS } from '../platform/time.js';
import type { Cdr } from './cdr.js';

/** One group rule code per campaign shape (the contract between generator and detection). */
export const CAMPAIGN_SHAPES = [
  'coordinated_calling',
  'coordinated_sms_blast',
  'coordinated_wangiri',
  'simbox_cluster',
  'target_sweep',
] as const;
export type CampaignShape = (typeof CAMPAIGN_SHAPES)[number];

/** Legitimate groups that share cells, handsets, targets or timing, and must stay quiet. */
export const GROUP_HARD_NEGATIVE_KINDS = [
  'dual_sim',
  'call_centre',
  'delivery_rider',
  'iot_meter',
  'tour_guide',
] as const;
export type GroupHardNegativeKind = (typeof GROUP_HARD_NEGATIVE_KINDS)[number];

export interface CampaignLabel {
  shape: CampaignShape;
  groupId: string;
  lines: string[];
  imeis: string[];
  cells: string[];
}

export interface CampaignOptions {
  /** Campaigns of each shape; default 2. */
  perShape?: number;
  /** Members of a campaign, drawn in this range; default [20, 150]. */
  members?: readonly [number, number];
  /** Lines of each hard-negative kind; default 100. */
  hardNegatives?: number;
}

export interface CampaignTraffic {
  records: Cdr[];
  campaigns: CampaignLabel[];
  groupHardNegatives: Record<GroupHardNegativeKind, string[]>;
  /** The ordinary lines: none of them should be flagged. */
  normalLines: string[];
}

/** Local time is UTC+7: a campaign shift 09:00-12:00 and 13:00-18:00 or 21:00 local. */
const SHIFT_START_UTC = 2;
const LUNCH_UTC = [5, 6] as const;
const SHIFT_ENDS_UTC = [11, 14] as const;

/** Relative intensity of ordinary traffic by local hour (UTC+7): quiet at night, peaks at 10 and 19. */
const DIURNAL_LOCAL = [
  0.15, 0.08, 0.05, 0.04, 0.05, 0.15, 0.4, 0.8, 1.1, 1.3, 1.4, 1.3, 1.2, 1.2, 1.2, 1.1, 1.1, 1.2,
  1.4, 1.5, 1.3, 1.0, 0.7, 0.35,
];
const DIURNAL_UTC = DIURNAL_LOCAL.map((_, u) => DIURNAL_LOCAL[(u + 7) % 24] as number);

/** Where hit lists are drawn from: national mobile numbering with the last digits free. */
const NUMBERING = [
  { country: 'TH', prefix: '+668', digits: 8 },
  { country: 'KH', prefix: '+85512', digits: 6 },
  { country: 'LA', prefix: '+85620', digits: 8 },
  { country: 'VN', prefix: '+849', digits: 8 },
] as const;
/** Countries one-ring calls go to. */
const WANGIRI_COUNTRIES = ['+234', '+225', '+44', '+7', '+216', '+375', '+53'];
/** Countries tourists come from (tour guides call their agencies and guests). */
const TOURIST_COUNTRIES = ['+86', '+82', '+7', '+44', '+49', '+91', '+65'];
/** Countries of migrant workers' families. */
const HOME_COUNTRIES = ['+95', '+855', '+856'];

interface Line {
  msisdn: string;
  imsi: string;
  imei: string;
}

/** A span of event time [from, to) in epoch ms. */
type Span = readonly [number, number];

/**
 * A generated line's record: an unanswered outgoing voice call on the home network (520-01),
 * unless `over` says otherwise.
 */
export function generatedRecord(
  l: Line,
  recordId: string,
  cellId: string,
  over: Partial<Cdr> & { startedAt: number },
): Cdr {
  return {
    recordId,
    type: 'voice',
    direction: 'mo',
    msisdn: l.msisdn,
    otherParty: '',
    imsi: l.imsi,
    imei: l.imei,
    cellId,
    durationSec: 0,
    answered: false,
    containsUrl: false,
    operator: '520-01',
    ...over,
  };
}

export function generateCampaignTraffic(opts: {
  lines: number;
  hours: number;
  seed: number;
  start: number;
  campaigns: CampaignOptions;
}): CampaignTraffic {
  const rand = mulberry32(opts.seed ^ 0x5eed_ca11);
  const start = opts.start;
  const end = start + opts.hours * HOUR_MS;
  const perShape = opts.campaigns.perShape ?? 2;
  const [minMembers, maxMembers] = opts.campaigns.members ?? [20, 150];
  const perNegative = opts.campaigns.hardNegatives ?? 100;
  const { int, pick, digits, shuffle } = seededDraws(rand);
  const records: Cdr[] = [];
  let seq = 0;

  const used = new Set<string>();
  /** A number not used before: our lines' numbers are scattered, not consecutive. */
  const unique = (make: () => string) => {
    for (;;) {
      const v = make();
      if (!used.has(v)) {
        used.add(v);
        return v;
      }
    }
  };
  const thaiMobile = () => `+66${pick(['6', '8', '9'])}${digits(8)}`;
  const newImei = () => unique(() => `35${digits(13)}`);
  let imsiSeq = 0;
  const newLine = (imei?: string): Line => ({
    msisdn: unique(thaiMobile),
    imsi: `52001${String(++imsiSeq + opts.seed * 100_000).padStart(10, '0')}`,
    imei: imei ?? newImei(),
  });

  /** The region's cells: 300 ordinary cells; the first five are dense (mall, station, ...). */
  const cells = Array.from(
    { length: 300 },
    (_, c) => `520-01-${200 + Math.floor(c / 20)}-${3000 + c}`,
  );
  const denseCells = cells.slice(0, 5);
  const ordinaryCell = () => cells[int(5, cells.length - 1)] as string;

  const emit = (l: Line, cellId: string, over: Partial<Cdr> & { startedAt: number }) => {
    if (over.startedAt >= end || over.startedAt < start) return;
    seq++;
    records.push(generatedRecord(l, `c${opts.seed}-${seq}`, cellId, over));
  };
  const hourAt = (h: number) => start + h * HOUR_MS;
  /** A random instant in `hour` of the traffic. */
  const inHour = (h: number) => hourAt(h) + Math.floor(rand() * HOUR_MS);
  const utcHourOf = (t: number) => new Date(t).getUTCHours();
  /** The traffic's first UTC day, where campaigns work. */
  const day0 = Math.floor(start / (24 * HOUR_MS)) * 24 * HOUR_MS;
  const utc = (h: number) => day0 + h * HOUR_MS;

  /**
   * `n` instants within `spans`, at most `perHour` in any clock hour (the 1-hour windows), in
   * time order; fewer when the spans cannot hold them.
   */
  const instants = (n: number, spans: readonly Span[], perHour: number): number[] => {
    const total = spans.reduce((s, [a, b]) => s + (b - a), 0);
    if (total <= 0) return [];
    const perBucket = new Map<number, number>();
    const out: number[] = [];
    for (let k = 0, tries = 0; k < n && tries < n * 30; tries++) {
      let x = rand() * total;
      let t = 0;
      for (const [a, b] of spans) {
        if (x < b - a) {
          t = a + Math.floor(x);
          break;
        }
        x -= b - a;
      }
      const bucket = Math.floor(t / HOUR_MS);
      const c = perBucket.get(bucket) ?? 0;
      if (c >= perHour) continue;
      perBucket.set(bucket, c + 1);
      out.push(t);
      k++;
    }
    return out.sort((a, b) => a - b);
  };

  /**
   * A campaign's shift, the same for every member within a few minutes (synchronised start and
   * stop), with a lunch break.
   */
  const shift = (): Span[] => {
    const endHour = pick(SHIFT_ENDS_UTC);
    const jitter = () => int(-4, 4) * MINUTE_MS;
    return [
      [utc(SHIFT_START_UTC) + jitter(), utc(LUNCH_UTC[0]) + jitter()],
      [utc(LUNCH_UTC[1]) + jitter(), utc(endHour) + jitter()],
    ];
  };

  /**
   * Handsets cycling SIMs: each handset holds two or three of the lines and switches between
   * them every 20 to 40 minutes within `spans`; returns each line's share of the time.
   */
  const cycle = (lines: Line[], spans: readonly Span[]): Map<Line, Span[]> => {
    const slices = new Map<Line, Span[]>();
    let i = 0;
    while (i < lines.length) {
      const left = lines.length - i;
      const size = left <= 3 ? left : left === 4 ? 2 : int(2, 3);
      const group = lines.slice(i, i + size);
      i += size;
      const imei = newImei();
      for (const l of group) {
        l.imei = imei;
        slices.set(l, []);
      }
      let turn = int(0, group.length - 1);
      for (const [a, b] of spans) {
        for (let t = a; t < b; ) {
          const next = Math.min(b, t + int(20, 40) * MINUTE_MS);
          slices.get(group[turn % group.length] as Line)?.push([t, next]);
          turn++;
          t = next;
        }
      }
    }
    return slices;
  };

  /** A hit list: `blocks` blocks of 100 or 1000 consecutive numbers in one country's numbering. */
  const hitList = (blocks: number): string[] => {
    const plan = pick(NUMBERING);
    const size = rand() < 0.5 ? 100 : 1000;
    const suffix = size === 100 ? 2 : 3;
    const out: string[] = [];
    for (let b = 0; b < blocks; b++) {
      const head = `${plan.prefix}${digits(plan.digits - suffix)}`;
      for (let k = 0; k < size; k++) out.push(`${head}${String(k).padStart(suffix, '0')}`);
    }
    return out;
  };

  // Ordinary lines, families and popular numbers.
  const popular = Array.from({ length: 12 }, () => `+662${digits(7)}`);
  const normalLines: string[] = [];
  interface Person {
    line: Line;
    home: string;
    work: string;
    contacts: string[];
    scale: number;
    abroad: string[];
  }
  const people: Person[] = [];
  while (people.length < opts.lines) {
    const familySize = rand() < 0.4 ? int(2, 5) : 1;
    const home = rand() < 0.1 ? pick(denseCells) : ordinaryCell();
    const shared = Array.from({ length: int(5, 20) }, thaiMobile);
    const family: Person[] = [];
    for (let k = 0; k < familySize && people.length < opts.lines; k++) {
      const p: Person = {
        line: newLine(),
        home,
        work: rand() < 0.3 ? pick(denseCells) : ordinaryCell(),
        contacts: [...shared, ...Array.from({ length: int(3, 20) }, thaiMobile)],
        scale: rand() < 0.05 ? 2 + rand() * 2 : 0.4 + rand() * 1.1,
        abroad: rand() < 0.06 ? [`${pick(HOME_COUNTRIES)}${digits(8)}`] : [],
      };
      family.push(p);
      people.push(p);
    }
    for (const p of family)
      for (const q of family) if (p !== q) p.contacts.push(q.line.msisdn, q.line.msisdn);
  }
  for (const p of people) {
    normalLines.push(p.line.msisdn);
    const l = p.line;
    const before = records.length;
    const cellAt = (t: number) => {
      const local = (utcHourOf(t) + 7) % 24;
      if (rand() < 0.08) return ordinaryCell();
      return local >= 9 && local < 18 ? p.work : p.home;
    };
    for (let h = 0; h < opts.hours; h++) {
      const lambda = 0.3 * p.scale * (DIURNAL_UTC[utcHourOf(hourAt(h))] as number);
      let n = 0;
      while (rand() < lambda / (n + 1)) n++;
      for (let k = 0; k < n; k++) {
        const t = inHour(h);
        const cell = cellAt(t);
        const r = rand();
        const other =
          r < 0.08
            ? pick(popular)
            : p.abroad.length > 0 && r < 0.15
              ? pick(p.abroad)
              : pick(p.contacts);
        if (r < 0.5) {
          const answered = rand() < 0.85;
          emit(l, cell, {
            startedAt: t,
            otherParty: other,
            answered,
            durationSec: answered ? int(10, 900) : int(0, 25),
          });
        } else if (r < 0.82) {
          emit(l, cell, {
            startedAt: t,
            direction: 'mt',
            otherParty: other,
            answered: true,
            durationSec: int(10, 600),
          });
        } else {
          emit(l, cell, {
            startedAt: t,
            type: 'sms',
            direction: rand() < 0.5 ? 'mo' : 'mt',
            otherParty: other,
            containsUrl: rand() < 0.03,
          });
        }
      }
    }
    // A quiet line still receives a call in a day.
    if (records.length === before) {
      const t = inHour(int(0, Math.min(opts.hours, 24) - 1));
      emit(l, cellAt(t), {
        startedAt: t,
        direction: 'mt',
        otherParty: pick(p.contacts),
        answered: true,
        durationSec: int(10, 300),
      });
    }
  }

  // Campaigns.
  const campaigns: CampaignLabel[] = [];
  for (const shape of CAMPAIGN_SHAPES)
    for (let c = 0; c < perShape; c++) {
      const members = Array.from({ length: int(minMembers, maxMembers) }, () => newLine());
      const where =
        shape === 'target_sweep'
          ? Array.from({ length: int(2, 6) }, ordinaryCell)
          : Array.from(
              { length: shape === 'simbox_cluster' ? int(1, 2) : int(1, 4) },
              ordinaryCell,
            );
      const sites = [...new Set(where)];
      const spans = shape === 'simbox_cluster' ? [[utc(0), utc(24)] as Span] : shift();
      const slices = cycle(shuffle([...members]), spans);
      const targets =
        shape === 'target_sweep' || shape === 'coordinated_sms_blast'
          ? shuffle(hitList(int(1, 3)))
          : [];
      let nextTarget = 0;
      /** A handset stays where it is: the SIMs it cycles share its cell. */
      const siteOf = new Map<string, string>();
      for (const l of members) {
        const own = slices.get(l) ?? [];
        const site = siteOf.get(l.imei) ?? pick(sites);
        siteOf.set(l.imei, site);
        const cellOf = () => (rand() < 0.9 ? site : pick(sites));
        switch (shape) {
          case 'coordinated_calling': {
            for (const t of instants(int(30, 55), own, 15)) {
              const r = rand();
              const answered = r >= 0.6;
              emit(l, cellOf(), {
                startedAt: t,
                otherParty: thaiMobile(),
                answered,
                durationSec: !answered ? int(0, 25) : r < 0.85 ? int(1, 5) : int(20, 180),
              });
            }
            break;
          }
          case 'coordinated_sms_blast': {
            for (const t of instants(int(40, 90), own, 35)) {
              // Mostly the next number of the hit list, sometimes one already texted (a retry).
              const to =
                rand() < 0.85 || nextTarget === 0
                  ? (targets[nextTarget++ % targets.length] as string)
                  : (targets[int(0, nextTarget - 1) % targets.length] as string);
              emit(l, cellOf(), { startedAt: t, type: 'sms', otherParty: to, containsUrl: true });
            }
            break;
          }
          case 'coordinated_wangiri': {
            for (const t of instants(int(25, 55), own, 20))
              emit(l, cellOf(), {
                startedAt: t,
                otherParty: `${pick(WANGIRI_COUNTRIES)}${digits(9)}`,
                durationSec: int(0, 2),
              });
            break;
          }
          case 'simbox_cluster': {
            for (const t of instants(int(30, 55), own, 12))
              emit(l, cellOf(), {
                startedAt: t,
                otherParty: thaiMobile(),
                answered: true,
                durationSec: int(30, 400),
              });
            break;
          }
          case 'target_sweep': {
            for (const t of instants(int(25, 50), own, 15)) {
              const to = targets[nextTarget++ % targets.length] as string;
              const answered = rand() < 0.35;
              emit(l, cellOf(), {
                startedAt: t,
                otherParty: to,
                answered,
                durationSec: answered ? int(5, 240) : int(0, 20),
              });
            }
            break;
          }
        }
      }
      campaigns.push({
        shape,
        groupId: `${shape}-${opts.seed}-${c + 1}`,
        lines: members.map((l) => l.msisdn),
        imeis: [...new Set(members.map((l) => l.imei))],
        cells: sites,
      });
    }

  // Hard negatives.
  const negatives = Object.fromEntries(
    GROUP_HARD_NEGATIVE_KINDS.map((k) => [k, [] as string[]]),
  ) as Record<GroupHardNegativeKind, string[]>;
  const workday = (from: number, to: number): Span[] => [[utc(from), utc(to)]];

  // Dual-SIM handsets: one person's two SIMs in one phone, both used as a person uses a phone.
  while (negatives.dual_sim.length < perNegative) {
    const imei = newImei();
    const home = ordinaryCell();
    const work = rand() < 0.3 ? pick(denseCells) : ordinaryCell();
    const contacts = Array.from({ length: int(8, 25) }, thaiMobile);
    for (const l of [newLine(imei), newLine(imei)].slice(
      0,
      perNegative - negatives.dual_sim.length,
    )) {
      negatives.dual_sim.push(l.msisdn);
      for (let h = 0; h < opts.hours; h++) {
        const lambda = 0.3 * (DIURNAL_UTC[utcHourOf(hourAt(h))] as number);
        if (rand() >= lambda) continue;
        const t = inHour(h);
        const local = (utcHourOf(t) + 7) % 24;
        const cell = local >= 9 && local < 18 ? work : home;
        const mo = rand() < 0.55;
        emit(l, cell, {
          startedAt: t,
          direction: mo ? 'mo' : 'mt',
          otherParty: pick(contacts),
          answered: true,
          durationSec: int(15, 600),
        });
      }
    }
  }

  // Call centres: many busy lines in one building, long answered calls and calls back.
  for (let centre = 0; negatives.call_centre.length < perNegative; centre++) {
    const size = Math.min(perNegative - negatives.call_centre.length, int(40, 100));
    const building = [centre % 2 === 0 ? pick(denseCells) : ordinaryCell()];
    if (rand() < 0.5) building.push(ordinaryCell());
    const customers = Array.from({ length: size * 30 }, thaiMobile);
    const spans = workday(SHIFT_START_UTC, SHIFT_ENDS_UTC[0]);
    for (let a = 0; a < size; a++) {
      const l = newLine();
      negatives.call_centre.push(l.msisdn);
      const cell = pick(building);
      const called: string[] = [];
      for (const t of instants(int(25, 50), spans, 10)) {
        const to = pick(customers);
        called.push(to);
        const answered = rand() < 0.75;
        emit(l, cell, {
          startedAt: t,
          otherParty: to,
          answered,
          durationSec: answered ? int(60, 900) : int(10, 30),
        });
      }
      for (const t of instants(int(10, 30), spans, 8))
        emit(l, cell, {
          startedAt: t,
          direction: 'mt',
          otherParty: rand() < 0.6 && called.length > 0 ? pick(called) : pick(customers),
          answered: true,
          durationSec: int(60, 900),
        });
    }
  }

  // Delivery riders: leave the hub together, many short calls to customers, moving across cells.
  while (negatives.delivery_rider.length < perNegative) {
    const size = Math.min(perNegative - negatives.delivery_rider.length, int(30, 60));
    const hub = ordinaryCell();
    const dispatch = `+662${digits(7)}`;
    for (let r = 0; r < size; r++) {
      const l = newLine();
      negatives.delivery_rider.push(l.msisdn);
      const route = [hub, ...Array.from({ length: int(8, 15) }, ordinaryCell)];
      const spans = workday(SHIFT_START_UTC, SHIFT_ENDS_UTC[1]);
      const day = utc(SHIFT_ENDS_UTC[1]) - utc(SHIFT_START_UTC);
      const cellAt = (t: number) =>
        route[
          Math.min(route.length - 1, Math.floor(((t - utc(SHIFT_START_UTC)) / day) * route.length))
        ] as string;
      const customers: string[] = [];
      for (const t of instants(int(20, 45), spans, 8)) {
        const to = rand() < 0.1 ? dispatch : thaiMobile();
        if (to !== dispatch) customers.push(to);
        const answered = rand() < 0.8;
        emit(l, cellAt(t), {
          startedAt: t,
          otherParty: to,
          answered,
          durationSec: answered ? int(8, 50) : int(0, 20),
        });
      }
      for (const t of instants(int(5, 15), spans, 4))
        emit(l, cellAt(t), {
          startedAt: t,
          direction: 'mt',
          otherParty: customers.length > 0 ? pick(customers) : dispatch,
          answered: true,
          durationSec: int(8, 60),
        });
      for (const t of instants(int(0, 5), spans, 3))
        emit(l, cellAt(t), {
          startedAt: t,
          type: 'sms',
          otherParty: pick([dispatch, ...customers]),
        });
    }
  }

  // IoT meters: a building's meters report by SMS to one collector, every 30 or 60 minutes.
  while (negatives.iot_meter.length < perNegative) {
    const size = Math.min(perNegative - negatives.iot_meter.length, int(20, 60));
    const cell = ordinaryCell();
    const collector = `+662${digits(7)}`;
    const period = (rand() < 0.5 ? 30 : 60) * MINUTE_MS;
    const phase = int(0, 29) * MINUTE_MS;
    for (let m = 0; m < size; m++) {
      const l = newLine();
      negatives.iot_meter.push(l.msisdn);
      for (let t = start + phase; t < end; t += period)
        emit(l, cell, {
          startedAt: t + int(0, 90) * SECOND_MS,
          type: 'sms',
          otherParty: collector,
        });
    }
  }

  // Tour guides: answered international calls to agencies and guests, moving between sights.
  const agencies = Array.from({ length: 15 }, () => `${pick(TOURIST_COUNTRIES)}${digits(9)}`);
  const hotels = Array.from({ length: 20 }, () => `+667${digits(7)}`);
  const sights = Array.from({ length: 12 }, ordinaryCell);
  for (let g = 0; g < perNegative; g++) {
    const l = newLine();
    negatives.tour_guide.push(l.msisdn);
    const guests = Array.from(
      { length: int(5, 15) },
      () => `${pick(TOURIST_COUNTRIES)}${digits(9)}`,
    );
    const spans = workday(1, 13);
    for (const t of instants(int(10, 30), spans, 6)) {
      const to = rand() < 0.4 ? pick(agencies) : rand() < 0.6 ? pick(guests) : pick(hotels);
      emit(l, pick(sights), {
        startedAt: t,
        otherParty: to,
        answered: rand() < 0.9,
        durationSec: int(40, 600),
      });
    }
    for (const t of instants(int(5, 15), spans, 4))
      emit(l, pick(sights), {
        startedAt: t,
        direction: 'mt',
        otherParty: rand() < 0.5 ? pick(agencies) : pick(guests),
        answered: true,
        durationSec: int(40, 600),
      });
  }

  return { records, campaigns, groupHardNegatives: negatives, normalLines };
}
