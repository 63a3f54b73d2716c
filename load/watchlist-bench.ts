/**
 * Watchlist matching benchmark. Prints figures; writes nothing.
 *
 *   node --expose-gc --import tsx load/watchlist-bench.ts [--lines 20000] [--hours 26]
 *     [--listed 1000000] [--runs 15] [--ten-million]
 *
 * The records (voice and SMS from the generator, plus one data record in twenty with an address
 * and a host) are encoded and decoded with the scorer's own `decodeCdr`, so the engine meets the
 * objects and flat strings it meets in service. Then `--runs` rounds, each running all records
 * through a fresh engine three ways in a rotating order: without a watchlist, without again (the
 * control: the same engine twice shows the machine's noise), and matching every record against
 * `--listed` listed numbers (plus IMEIs, addresses, ranges and domains). The matching cost is the
 * median over rounds of (with - without) in the same round, with its quartiles; the control's
 * median tells how far the machine alone moves it. Then three plain lookups a record (what a
 * line's memo spares), the index's heap, and with --ten-million the same with ten million numbers.
 */
import { parseArgs } from 'node:util';
import { type Cdr, decodeCdr, encodeCdr } from '../src/scoring/cdr.js';
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
    runs: { type: 'string', default: '15' },
    'ten-million': { type: 'boolean', default: false },
  },
});
const fmt = (n: number) => n.toLocaleString('en-US');
const us = (ns: number) => (ns / 1000).toFixed(3);
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
const generated: Cdr[] = [];
for (let i = 0; i < voice.length; i++) {
  const r = voice[i] as Cdr;
  generated.push(r);
  if (i % 20 === 0)
    generated.push({
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
/** As the scorer takes them: decoded from bytes (the generator's strings are built in pieces). */
const records = generated.map((r) => {
  const d = decodeCdr(Buffer.from(encodeCdr(r)));
  if (!d.ok) throw new Error(d.error);
  return d.cdr;
});
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

interface Spread {
  q25: number;
  median: number;
  q75: number;
}

function spread(values: number[]): Spread {
  const v = [...values].sort((a, b) => a - b);
  const at = (p: number) => v[Math.round(p * (v.length - 1))] as number;
  return { q25: at(0.25), median: at(0.5), q75: at(0.75) };
}

/**
 * `--runs` rounds of the engine without matching, without again (the control) and with
 * matching, in an order that rotates each round so that neither the machine's load nor the
 * heap's state favours one; per round, the differences to the first.
 */
function engineRuns(m: WatchlistMatcher): {
  without: number;
  cost: Spread;
  control: Spread;
  alerts: number;
} {
  const ways = [undefined, undefined, m];
  const ns: number[][] = [[], [], []];
  let alerts = 0;
  for (let round = 0; round < Number(values.runs); round++) {
    for (let k = 0; k < ways.length; k++) {
      const way = (round + k) % ways.length;
      gc?.();
      const r = engineRun(ways[way]);
      (ns[way] as number[]).push(r.ns);
      if (way === 2) alerts = r.alerts;
    }
  }
  const [without, again, withMatching] = ns as [number[], number[], number[]];
  return {
    without: spread(without).median,
    cost: spread(withMatching.map((v, i) => v - (without[i] as number))),
    control: spread(again.map((v, i) => v - (without[i] as number))),
    alerts,
  };
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
      `  engine without matching: ${runs.without.toFixed(0)} ns/record (median of ${values.runs} rounds; ${fmt(runs.alerts)} watchlist alerts with it)`,
      `  matching cost: ${us(runs.cost.median)} us/record, quartiles ${us(runs.cost.q25)} to ${us(runs.cost.q75)} (goal < 0.3 us)`,
      `  control (the engine without, twice): ${us(runs.control.median)} us/record, quartiles ${us(runs.control.q25)} to ${us(runs.control.q75)}`,
      `  three plain lookups a record, without the per-line memo: ${alone.toFixed(0)} ns`,
      `  heap used now: ${heapMb().toFixed(0)} MB`,
    ].join('\n'),
  );
}

if (gc === undefined) console.log('(run with node --expose-gc for heap figures)');
measure(Number(values.listed));
if (values['ten-million']) measure(10_000_000);
