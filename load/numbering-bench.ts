/**
 * Per-record cost of the scorer's number checks against libphonenumber-js: ns/op of the E.164
 * shape check, the calling-code lookup and the international test, ours and the library's.
 *
 *   npx tsx load/numbering-bench.ts [--records 200000] [--rounds 5]
 */
import { parseArgs } from 'node:util';
import { parsePhoneNumberFromString as parseMax } from 'libphonenumber-js/max';
import { parsePhoneNumberFromString as parseMin } from 'libphonenumber-js/min';
import { callingCode, isInternational } from '../src/scoring/calling-codes.js';
import { isE164 } from '../src/scoring/cdr.js';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '5' },
  },
});
const records = Number(values.records);
const rounds = Number(values.rounds);

/** A mix like the scorer's input: served-country lines calling home and abroad. */
const PREFIXES = ['+668', '+8551', '+85620', '+959', '+849', '+86138', '+4479', '+1202'];
let seed = 1;
const rand = () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed;
};
const number = () =>
  `${PREFIXES[rand() % PREFIXES.length]}${String(rand() % 100_000_000).padStart(8, '0')}`;
const lines = Array.from({ length: records }, number);
const others = Array.from({ length: records }, number);

/** Best of `rounds` passes, in ns per record; the sink keeps the work from being optimised out. */
function measure(name: string, fn: (line: string, other: string) => number): [string, number] {
  let best = Number.POSITIVE_INFINITY;
  let sink = 0;
  for (let r = 0; r < rounds; r++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < records; i++) sink += fn(lines[i] as string, others[i] as string);
    best = Math.min(best, Number(process.hrtime.bigint() - started) / records);
  }
  if (sink === -1) console.log(sink);
  return [name, best];
}

const rows = [
  measure('ours: isE164', (line) => (isE164(line) ? 1 : 0)),
  measure('ours: callingCode + isInternational', (line, other) =>
    isInternational(callingCode(line), other) ? 1 : 0,
  ),
  measure('libphonenumber-js/min: parse (shape + calling code)', (line) =>
    parseMin(line) ? 1 : 0,
  ),
  measure('libphonenumber-js/min: international (two parses)', (line, other) =>
    parseMin(line)?.countryCallingCode !== parseMin(other)?.countryCallingCode ? 1 : 0,
  ),
  measure('libphonenumber-js/max: parse + isValid', (line) => (parseMax(line)?.isValid() ? 1 : 0)),
];
console.log(`${records} records, best of ${rounds} rounds`);
for (const [name, ns] of rows) console.log(`${name.padEnd(56)} ${ns.toFixed(1).padStart(9)} ns/op`);
