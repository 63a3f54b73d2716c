/**
 * A worker thread running a stage for the partitions the main thread gives it. The main
 * thread keeps the Kafka consumer and producer (node-rdkafka loads in one thread of a process):
 * it hands each batch over as one buffer, produces what the stage asks, and reports its figures.
 */
import { writeFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { connect } from '../platform/db/client.js';
import { createLogger } from '../platform/log.js';
import { WatchlistMatcher } from '../watchlist/matching/matcher.js';
import { Stage, type StageIo } from './stage.js';
import {
  type FromWorker,
  type ProduceItem,
  type StageWorkerData,
  type ToWorker,
  unpack,
} from './stage-protocol.js';

const describe = (err: unknown) =>
  err instanceof Error ? (err.stack ?? err.message) : String(err);

/** Names the OS thread (Linux), so `top -H` and the benchmark tell stage threads apart. */
function nameThread(name: string): void {
  try {
    writeFileSync('/proc/thread-self/comm', name);
  } catch {
    // Not Linux, or no /proc: the thread keeps the process's name.
  }
}

function run(port: NonNullable<typeof parentPort>, data: StageWorkerData): void {
  const { config } = data;
  nameThread(`scorer-${data.kind}-${data.thread}`);
  const log = createLogger({ level: data.logLevel }).child({ thread: data.thread });
  const db = connect(data.databaseUrl, { max: 3 });
  const send = (m: FromWorker) => port.postMessage(m);
  let networks: ReadonlyMap<string, string> = new Map();
  const highs = new Map<number, number>();
  let produced: ProduceItem[] = [];
  const sendProduced = () => {
    if (produced.length === 0) return;
    send({ t: 'produce', items: produced });
    produced = [];
  };
  let flushes = 0;
  const flushing = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  const io: StageIo = {
    db: db.db,
    log,
    config,
    networks: () => networks,
    produce: (topic, key, value, headers) =>
      // A view of the batch's buffer would be cloned with the whole buffer: copy its bytes.
      produced.push([
        topic,
        key,
        typeof value === 'string' ? value : new Uint8Array(value),
        headers,
      ]),
    flush: () => {
      sendProduced();
      const id = ++flushes;
      send({ t: 'flush', id });
      return new Promise((resolve, reject) => flushing.set(id, { resolve, reject }));
    },
    highWatermark: (_topic, partition) => highs.get(partition),
    counted: (counts) => send({ t: 'counted', counts }),
    lag: (partition, lag) => send({ t: 'lag', partition, lag }),
    committed: (seconds) => send({ t: 'committed', seconds }),
    alerts: (alerts) => send({ t: 'alerts', alerts }),
    fatal: (err) => send({ t: 'fatal', error: describe(err) }),
  };
  const stage = new Stage(data.kind, io);
  const watchlist = new WatchlistMatcher();
  stage.engine.setWatchlist(watchlist);

  const perform = async (m: Exclude<ToWorker, { t: 'settings' | 'flushed' }>) => {
    switch (m.t) {
      case 'assign':
        return stage.assign(m.parts);
      case 'revoke':
        return stage.revoke(m.parts);
      case 'batch':
        for (let i = 0; i < m.highs.length; i += 2)
          highs.set(m.highs[i] as number, m.highs[i + 1] as number);
        await stage.handle(unpack(m));
        sendProduced();
        return undefined;
      case 'settle':
        return stage.settle();
      case 'close':
        await stage.settle();
        await db.close();
        return undefined;
    }
  };

  /** Requests run one at a time, in the order they came; settings and flush acks at once. */
  let chain: Promise<unknown> = Promise.resolve();
  port.on('message', (m: ToWorker) => {
    if (m.t === 'settings') {
      stage.setSettings(m.settings);
      networks = m.networks;
    } else if (m.t === 'watchlist') {
      watchlist.attach(m.tables);
      watchlist.apply(m.changes);
    } else if (m.t === 'flushed') {
      const f = flushing.get(m.id);
      flushing.delete(m.id);
      if (m.error === undefined) f?.resolve();
      else f?.reject(new Error(m.error));
    } else {
      chain = chain
        .then(() => perform(m))
        .then(
          (value) => send({ t: 'reply', id: m.id, value }),
          (err) => send({ t: 'reply', id: m.id, error: describe(err) }),
        );
    }
  });
}

const data = workerData as StageWorkerData | null;
if (parentPort !== null && data?.role === 'scorer-stage') run(parentPort, data);
