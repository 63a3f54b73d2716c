/**
 * Watchlist matching benchmark. Prints figures; writes nothing.
 *
 *   node --expose-gc --import tsx load/watchlist-bench.ts [--lines 20000] [--hours 26]
 *     [--listed 1000000] [--runs 5] [--ten-million]
 *
 * In one run (the engine without and with matching in turns, best of five each), on the same synthetic records (voice and SMS from the generator, plus one data
 * record in twenty with an address and a host): the engine without a watchlist, the engine
 * matching every record against `--listed` listed numbers (plus IMEIs, addresses, ranges and
 * domains), and three plain lookups a record (what a line's per-line memo spares); the difference per record is the matching cost. Then the
 * index's heap, and with --ten-million the same with ten million listed numbers.
 */
import { parseArgs } from 'node:util';
import type { Cdr } from '../src/scoring/cdr.js';
import { ScoringEngine } from '../src/scoring/engine.js';
import { generateTraffic } from '../src/scoring/generator.js';
import {
  type IndicatorChange,
  imeiKey,
  WatchlistMatcher,
} from '../src/watchlist/matching/matcher.js';

const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '20000' },
    hours: { type: 'string', default: '26' },
    listed: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '5' },
    'ten-million': { type: 'boolean', default: false },
  },
});
const fmt = (n: number) => n.toLocaleString('en-US');
const gc = (globalThis as { gc?: () => void }).gc;
const heapMb = () => {
  gc?.();
  return process.memoryUsage().heapUsed / 1e6;
};

const { records: voice } = generateTraffic({
  lines: Number(values.lines),
  hours: Number(values.hours),
  seed: 42,
});
const records: Cdr[] = [];
for (let i = 0; i < voice.length; i++) {
  const r = voice[i] as Cdr;
  records.push(r);
  if (i % 20 === 0)
    records.push({
      ...r,
      recordId: `${r.recordId}-ip`,
      type: 'data',
      otherParty: '',
      remoteIp: `198.51.${i % 256}.${(i >> 8) % 256}`,
      host: `cdn${i % 5000}.example.com`,
      durationSec: 0,
      answered: false,
      containsUrl: false,
    });
}
const dataRecords = records.length - voice.length;
console.log(`records: ${fmt(records.length)} (${fmt(dataRecords)} data records)`);

const now = (records.at(-1) as Cdr).startedAt;
const validUntil = now + 365 * 86_400_000;

/** `n` listed numbers: one in a thousand of the traffic's other parties, the rest random. */
function listedNumbers(n: number): IndicatorChange[] {
  const parties = [...new Set(voice.map((r) => r.otherParty).filter((p) => p !== ''))];
  const out: IndicatorChange[] = [];
  for (let i = 0; i < parties.length && out.length < n; i += 1000)
    out.push(change(`m${i}`, 'msisdn', parties[i] as string));
  for (let i = out.length; i < n; i++)
    out.push(change(`m${i}`, 'msisdn', `+6689${String(i).padStart(8, '0')}`));
  return out;
}

/** A listing with an id of the service's shape (`ind_` and 12 bytes in base64url). */
function change(name: string, type: string, value: string): IndicatorChange {
  const id = `ind_${Buffer.from(name.padStart(12, '0')).toString('base64url')}`;
  return { id, type, value, category: 'other', status: 'active', validUntil };
}

function otherIndicators(): IndicatorChange[] {
  const out: IndicatorChange[] = [];
  for (let i = 0; i < 10_000; i++) {
    out.push(change(`e${i}`, 'imei', imeiKey(`86${String(i).padStart(12, '0')}`) as string));
    out.push(change(`i${i}`, 'ip', `203.0.${i % 256}.${i >> 8}`));
    out.push(change(`d${i}`, 'domain', `scam${i}.example`));
  }
  for (let i = 0; i < 100; i++) out.push(change(`r${i}`, 'ip', `10.${i}.0.0/16`));
  out.push(change('cdn', 'domain', 'cdn7.example.com'));
  return out;
}

/**
 * The process's CPU time in ns: other processes on a shared machine stretch wall time, not this
 * (the engine runs on this thread; the GC's helper threads count, as they should).
 */
function cpuNs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
}

/** All records through a fresh engine, in CPU ns a record, and the watchlist alerts it raised. */
function engineRun(matcher: WatchlistMatcher | undefined): { ns: number; alerts: number } {
  const engine = new ScoringEngine();
  engine.setNow(now);
  engine.setWatchlist(matcher);
  const t0 = cpuNs();
  for (const r of records) engine.ingest('s0', r, null);
  const ns = (cpuNs() - t0) / records.length;
  return {
    ns,
    alerts: engine.advance().alerts.filter((a) => a.rule.startsWith('watchlist_')).length,
  };
}

/**
 * The engine without and with matching, best of `--runs` runs each, taken in turns (without, with,
 * without, ...) so that a change in the machine's load or the heap's state meets both alike.
 */
function engineRuns(m: WatchlistMatcher): { without: number; with: number; alerts: number } {
  let without = Number.POSITIVE_INFINITY;
  let withMatching = Number.POSITIVE_INFINITY;
  let alerts = 0;
  for (let run = 0; run < Number(values.runs); run++) {
    gc?.();
    without = Math.min(without, engineRun(undefined).ns);
    gc?.();
    const r = engineRun(m);
    withMatching = Math.min(withMatching, r.ns);
    alerts = r.alerts;
  }
  return { without, with: withMatching, alerts };
}

/** The lookups a record makes, alone, in CPU ns a record (best of five). */
function lookups(m: WatchlistMatcher): number {
  let best = Number.POSITIVE_INFINITY;
  let hits = 0;
  for (let run = 0; run < 5; run++) {
    const t0 = cpuNs();
    for (const r of records) {
      if (r.type === 'data') {
        if (m.ip(r.remoteIp as string, now) ?? m.domain(r.host as string, now)) hits++;
      } else if (r.otherParty !== '' && m.msisdn(r.otherParty, now)) hits++;
      if (m.msisdn(r.msisdn, now)) hits++;
      const imei = imeiKey(r.imei);
      if (imei !== undefined && m.imei(imei, now)) hits++;
    }
    best = Math.min(best, (cpuNs() - t0) / records.length);
  }
  if (hits < 0) console.log(hits);
  return best;
}

function measure(listed: number): void {
  const before = heapMb();
  const m = new WatchlistMatcher();
  const t0 = Date.now();
  m.apply(listedNumbers(listed));
  m.apply(otherIndicators());
  const loadMs = Date.now() - t0;
  const heap = heapMb() - before;
  const shared = m.shared();
  const sharedMb = (shared.msisdn.buffer.byteLength + shared.imei.buffer.byteLength) / 1e6;
  const runs = engineRuns(m);
  const alone = lookups(m);
  console.log(
    [
      `listed: ${fmt(m.size)} indicators (${fmt(listed)} numbers), applied in ${fmt(loadMs)} ms, index heap ${heap.toFixed(0)} MB and shared tables ${sharedMb.toFixed(0)} MB (${(((heap + sharedMb) * 1e6) / m.size).toFixed(0)} B each)`,
      `  engine without matching: ${runs.without.toFixed(0)} ns/record`,
      `  engine with matching:    ${runs.with.toFixed(0)} ns/record (${fmt(runs.alerts)} watchlist alerts)`,
      `  matching cost: ${((runs.with - runs.without) / 1000).toFixed(3)} us/record (goal < 0.3 us); three plain lookups a record, without the per-line memo: ${alone.toFixed(0)} ns`,
      `  heap used now: ${heapMb().toFixed(0)} MB`,
    ].join('\n'),
  );
}

if (gc === undefined) console.log('(run with node --expose-gc for heap figures)');
measure(Number(values.listed));
if (values['ten-million']) measure(10_000_000);
