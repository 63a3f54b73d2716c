/**
 * The messages between the scorer's main thread and its stage threads (`stage-worker.ts`), and
 * how a batch crosses over: its keys and values in one transferred buffer.
 */
import type { Config } from '../config.js';
import type {
  ConsumedMessage,
  MessageHeader,
  PartitionAssignment,
} from '../platform/kafka/messages.js';
import type { IndicatorChange, SharedWatchlist } from '../watchlist/matching/matcher.js';
import type { RuleSettings } from './engine.js';
import type { StoredAlert } from './queries.js';
import type { Outcome, StageKind } from './stage.js';

export interface StageWorkerData {
  role: 'scorer-stage';
  kind: StageKind;
  config: Config;
  databaseUrl: string;
  logLevel: string;
  thread: number;
}

/** A batch as the main thread hands it over: per message its key's bytes, then its value's. */
export interface PackedBatch {
  topic: string;
  partitions: Int32Array;
  offsets: Float64Array;
  /** -1 for a message without key (or value). */
  keyLengths: Int32Array;
  valueLengths: Int32Array;
  data: Uint8Array;
  /** The high watermark of each partition of this thread, as pairs. */
  highs: number[];
}

export type ToWorker =
  | { t: 'settings'; settings: RuleSettings; networks: Map<string, string> }
  | { t: 'watchlist'; changes: IndicatorChange[]; tables: SharedWatchlist }
  | { t: 'flushed'; id: number; error?: string }
  | { t: 'assign' | 'revoke'; id: number; parts: PartitionAssignment[] }
  | ({ t: 'batch'; id: number } & PackedBatch)
  | { t: 'settle' | 'close'; id: number };

export type ProduceItem = [
  topic: string,
  key: string | null,
  value: string | Uint8Array,
  headers: MessageHeader[],
];

export type FromWorker =
  | { t: 'reply'; id: number; value?: unknown; error?: string }
  | { t: 'produce'; items: ProduceItem[] }
  | { t: 'flush'; id: number }
  | { t: 'counted'; counts: Record<Outcome, number> }
  | { t: 'lag'; partition: number; lag: number | undefined }
  | { t: 'committed'; seconds: number }
  | { t: 'alerts'; alerts: StoredAlert[] }
  | { t: 'fatal'; error: string };

/** The messages of a packed batch, their keys and values views of its one buffer. */
export function unpack(b: PackedBatch): ConsumedMessage[] {
  const data = Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength);
  const out: ConsumedMessage[] = new Array(b.partitions.length);
  let at = 0;
  for (let i = 0; i < out.length; i++) {
    const kl = b.keyLengths[i] as number;
    const key = kl < 0 ? null : data.subarray(at, at + kl);
    at += Math.max(0, kl);
    const vl = b.valueLengths[i] as number;
    const value = vl < 0 ? null : data.subarray(at, at + vl);
    at += Math.max(0, vl);
    out[i] = {
      topic: b.topic,
      partition: b.partitions[i] as number,
      offset: b.offsets[i] as number,
      key,
      value,
    };
  }
  return out;
}

/** A batch as one buffer of keys and values and arrays of their lengths (`unpack` reverses it). */
export function pack(
  messages: readonly ConsumedMessage[],
  topic: string,
  highs: number[],
): PackedBatch {
  const n = messages.length;
  const partitions = new Int32Array(n);
  const offsets = new Float64Array(n);
  const keyLengths = new Int32Array(n);
  const valueLengths = new Int32Array(n);
  const keys: (Uint8Array | null)[] = new Array(n);
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const m = messages[i] as ConsumedMessage;
    const key = typeof m.key === 'string' ? Buffer.from(m.key) : (m.key ?? null);
    keys[i] = key;
    keyLengths[i] = key ? key.length : -1;
    valueLengths[i] = m.value ? m.value.length : -1;
    bytes += (key?.length ?? 0) + (m.value?.length ?? 0);
  }
  const data = new Uint8Array(bytes);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const m = messages[i] as ConsumedMessage;
    partitions[i] = m.partition;
    offsets[i] = m.offset;
    const key = keys[i];
    if (key) {
      data.set(key, at);
      at += key.length;
    }
    if (m.value) {
      data.set(m.value, at);
      at += m.value.length;
    }
  }
  return { topic, partitions, offsets, keyLengths, valueLengths, data, highs };
}

/** The buffers of a packed batch, moved to the receiving thread rather than copied. */
export function transferList(b: PackedBatch): ArrayBuffer[] {
  return [b.partitions, b.offsets, b.keyLengths, b.valueLengths, b.data].map(
    (a) => a.buffer as ArrayBuffer,
  );
}
