/**
 * A line's window features, computed from its hour buckets when it is evaluated, and the cheap
 * counts its rules' gates read first. The distinct sets are counted to caps sized by the
 * thresholds, so memory stays bounded however many numbers a line calls.
 */
import type { LineState } from './line-state.js';
import {
  emptyFeatures,
  type GateCounts,
  type Thresholds,
  type WindowFeatures,
} from './rules/index.js';
import { DistinctCounter, HOUR_MS, WINDOW_HOURS } from './windows.js';

/** Distinct counts kept only up to a cap (one past the thresholds that read them). */
export const CAPPED_FEATURES = [
  'distinct_callees_24h',
  'distinct_cells_24h',
  'wangiri_distinct_numbers_1h',
  'url_sms_recipients_1h',
] as const;
export type CappedFeature = (typeof CAPPED_FEATURES)[number];

/** The cap each capped feature is counted to. */
export function capOf(feature: CappedFeature, caps: DistinctCaps): number {
  switch (feature) {
    case 'distinct_callees_24h':
      return caps.callees;
    case 'distinct_cells_24h':
      return caps.cells;
    case 'wangiri_distinct_numbers_1h':
      return caps.wangiriCallees;
    case 'url_sms_recipients_1h':
      return caps.urlRecipients;
  }
}

/**
 * How many entries each distinct set keeps. A set holding threshold + 1 values decides its rule
 * either way ("≥ n" holds, "≤ n" fails), so it stops growing there and memory stays bounded even
 * for a line calling thousands of numbers. IMSIs per IMEI are the imei_multi_sim rule's intensity
 * and are rare, so they get a roomier cap for the evidence and the score.
 */
export function distinctCaps(t: Thresholds) {
  return {
    callees:
      Math.max(t.high_volume_calling.distinctCalleesAtLeast, t.simbox.distinctCalleesAtLeast) + 1,
    wangiriCallees: t.wangiri.distinctNumbersAtLeast + 1,
    urlRecipients: t.sms_blast_urls.distinctRecipientsAtLeast + 1,
    cells: t.simbox.distinctCellsAtMost + 1,
    imsis: Math.max(64, t.imei_multi_sim.distinctImsisAtLeast + 1),
  };
}

export type DistinctCaps = ReturnType<typeof distinctCaps>;

/**
 * The counts the rules' gates read, for the window ending at `windowEnd`, written into `c` (one
 * object reused by the caller). Most lines are below every gate and are skipped before their
 * distinct sets are counted.
 */
export function gateCounts(line: LineState, windowEnd: number, c: GateCounts): GateCounts {
  const endHour = windowEnd / HOUR_MS;
  c.outgoingCalls24h = 0;
  c.outgoing1h = 0;
  c.wangiriCalls1h = 0;
  c.urlSms1h = 0;
  for (const b of line.buckets) {
    if (b.hour >= endHour) break;
    if (b.hour < endHour - WINDOW_HOURS) continue;
    c.outgoingCalls24h += b.outgoingCalls;
    if (b.hour === endHour - 1) {
      c.outgoing1h = b.outgoingCalls + b.smsSent;
      c.wangiriCalls1h = b.wangiriCalls;
      c.urlSms1h = b.urlSms;
    }
  }
  return c;
}

/** Adds `values` to `list` until it holds `cap` entries (cells: a few at most). */
function addUpTo<T>(list: T[], values: readonly T[], cap: number): void {
  for (let i = 0; i < values.length && list.length < cap; i++) {
    const v = values[i] as T;
    if (!list.includes(v)) list.push(v);
  }
}

const calleeCount = new DistinctCounter();

/**
 * Features of the 24-hour and 1-hour windows ending at `windowEnd`; undefined if both are empty.
 * Distinct callees and cells are counted up to the caps each bucket keeps its lists to (one past
 * the thresholds that read them), so a busy line's count stops at its first full bucket.
 */
export function lineFeatures(
  line: LineState,
  windowEnd: number,
  caps: DistinctCaps,
): WindowFeatures | undefined {
  const endHour = windowEnd / HOUR_MS;
  const f = emptyFeatures();
  const callees = calleeCount;
  callees.start(caps.callees);
  const cells: string[] = [];
  let any = false;
  for (const b of line.buckets) {
    if (b.hour >= endHour) break;
    if (b.hour < endHour - WINDOW_HOURS) continue;
    any = true;
    f.outgoing_calls_24h += b.outgoingCalls;
    f.answered_calls_24h += b.answeredCalls;
    f.short_or_unanswered_calls_24h += b.shortOrUnanswered;
    f.incoming_calls_24h += b.incomingCalls;
    f.sms_sent_24h += b.smsSent;
    f.url_sms_sent_24h += b.urlSms;
    callees.addAll(b.callees);
    addUpTo(cells, b.cells, caps.cells);
    if (b.hour === endHour - 1) {
      f.outgoing_calls_1h = b.outgoingCalls;
      f.sms_sent_1h = b.smsSent;
      f.outgoing_1h = b.outgoingCalls + b.smsSent;
      f.wangiri_calls_1h = b.wangiriCalls;
      f.wangiri_international_calls_1h = b.wangiriInternational;
      f.wangiri_international_share_1h =
        b.wangiriCalls > 0 ? b.wangiriInternational / b.wangiriCalls : 0;
      f.wangiri_distinct_numbers_1h = b.wangiriNumbers.length;
      f.url_sms_sent_1h = b.urlSms;
      f.url_sms_recipients_1h = b.urlRecipients.length;
    }
  }
  if (!any) return undefined;
  f.distinct_callees_24h = callees.size;
  f.distinct_cells_24h = cells.length;
  f.short_or_unanswered_share_24h =
    f.outgoing_calls_24h > 0 ? f.short_or_unanswered_calls_24h / f.outgoing_calls_24h : 0;
  f.outgoing_incoming_ratio_24h = f.outgoing_calls_24h / Math.max(1, f.incoming_calls_24h);
  const reg = line.registration?.registeredAt;
  f.line_age_hours =
    reg === undefined || reg === null
      ? null
      : Math.max(0, Math.floor((windowEnd - HOUR_MS - reg) / HOUR_MS));
  return f;
}
