/**
 * The scorer's consumer with nothing behind it, in a process of its own: what one Node thread
 * takes in through node-rdkafka's consume(n). Prints one JSON line: the rates, the process's CPU
 * time over the drain (all its threads, librdkafka's included) and the resident memory once
 * drained (node and librdkafka with its read-ahead, no scoring state).
 *
 *   npx tsx load/lib/consume-alone.ts BROKERS TOPIC RECORDS [BATCH]
 */
import { ManualConsumer } from '../../src/platform/kafka/client.js';

const [brokers, topic, count, batchArg] = process.argv.slice(2);
const records = Number(count);
if (!brokers || !topic || !(records > 0)) throw new Error('usage: BROKERS TOPIC RECORDS [BATCH]');
const batch = Number(batchArg ?? 5000);

let taken = 0;
let first = 0;
let done: () => void = () => {};
let failed: (err: unknown) => void = () => {};
const drained = new Promise<void>((resolve, reject) => {
  done = resolve;
  failed = reject;
});
const consumer = new ManualConsumer(
  { brokers },
  `${topic}.alone.${process.pid}`,
  [topic],
  {
    onAssign: async (parts) => new Map(parts.map((p) => [`${p.topic}:${p.partition}`, null])),
    onRevoke: async () => {},
  },
  (err) => failed(err),
);
const started = performance.now();
const cpuStart = process.cpuUsage();
await consumer.connect();
consumer.start(batch, async (messages) => {
  if (taken === 0 && messages.length > 0) first = performance.now();
  taken += messages.length;
  if (taken >= records) done();
});
await drained;
const end = performance.now();
const cpu = process.cpuUsage(cpuStart);
const rss = process.memoryUsage().rss;
await consumer.halt();
await consumer.disconnect();
console.log(
  JSON.stringify({
    rate: Math.round((records / (end - started)) * 1000),
    steady: Math.round((records / (end - first)) * 1000),
    cpuUs: cpu.user + cpu.system,
    rss,
  }),
);
