import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import type { ConsumedMessage } from '../../src/platform/kafka/messages.js';
import { type PackedBatch, pack, transferList, unpack } from '../../src/scoring/stage-protocol.js';

const message = (m: Partial<ConsumedMessage> & { offset: number }): ConsumedMessage => ({
  topic: 'cdr.records',
  partition: 1,
  key: null,
  value: null,
  ...m,
});

describe('a batch handed to a stage thread', () => {
  const messages = [
    message({ offset: 7, key: Buffer.from('+66812345678'), value: Buffer.from('{"a":1}') }),
    message({ offset: 8, key: null, value: Buffer.from('not json') }),
    message({ offset: 9, partition: 3, key: Buffer.from('k'), value: null }),
    message({ offset: 10, key: '+855ក', value: Buffer.alloc(0) }),
    message({ offset: 2 ** 40, key: Buffer.alloc(0), value: Buffer.from('ไทย 中文') }),
  ];
  const asText = (ms: readonly ConsumedMessage[]) =>
    ms.map((m) => ({
      topic: m.topic,
      partition: m.partition,
      offset: m.offset,
      key: m.key === null || m.key === undefined ? null : m.key.toString(),
      value: m.value === null ? null : m.value.toString(),
    }));

  it('comes out as it went in: keys, values (absent or empty), partitions and offsets', () => {
    const b = pack(messages, 'cdr.records', [1, 120]);
    expect(b.data.byteLength).toBe(
      Buffer.byteLength('+66812345678{"a":1}not jsonk+855ក') + Buffer.byteLength('ไทย 中文'),
    );
    expect(asText(unpack(b))).toEqual(asText(messages));
  });

  it('crosses a thread boundary with its buffers moved, not copied', () => {
    const b = pack(messages, 'cdr.records', [1, 120, 3, 9]);
    const { port1, port2 } = new MessageChannel();
    port1.postMessage(b, transferList(b));
    expect(b.data.byteLength).toBe(0);
    expect(b.offsets.length).toBe(0);
    const received = receiveMessageOnPort(port2)?.message as PackedBatch;
    port1.close();
    expect(received.highs).toEqual([1, 120, 3, 9]);
    expect(asText(unpack(received))).toEqual(asText(messages));
  });

  it('may be empty (a tick that lets the stage commit on time)', () => {
    expect(unpack(pack([], 'cdr.records', []))).toEqual([]);
  });
});
