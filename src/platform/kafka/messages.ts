/**
 * What consumers and their handlers share without loading node-rdkafka (a native module loads
 * in one thread of a process only), so a scorer stage can run in a worker thread.
 */

export interface PartitionAssignment {
  topic: string;
  partition: number;
}

export const partitionKey = (topic: string, partition: number) => `${topic}:${partition}`;

/** A message header as librdkafka takes it: one name and its value. */
export type MessageHeader = Record<string, string | Buffer>;

/** The fields of a consumed message a handler reads (node-rdkafka's messages have them). */
export interface ConsumedMessage {
  value: Buffer | null;
  key?: Buffer | string | null;
  topic: string;
  partition: number;
  offset: number;
}
