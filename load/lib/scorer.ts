import { type ChildProcess, type StdioOptions, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/** The topics and consumer group one load run gives its scorer. */
export interface ScorerTopics {
  cdr: string;
  imei: string;
  dlq: string;
  alerts: string;
  group: string;
}

/**
 * The scorer role the way `npm start -- --role scorer` runs it, in a process of its own, on the
 * given database, broker and topics; probes on a free port.
 */
export function spawnScorer(o: {
  databaseUrl: string;
  brokers: string;
  topics: ScorerTopics;
  logLevel: string;
  stdio: StdioOptions;
}): ChildProcess {
  return spawn(
    process.execPath,
    ['--max-semi-space-size=64', '--import', 'tsx', 'src/main.ts', '--role', 'scorer'],
    {
      env: {
        ...process.env,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: o.logLevel,
        DATABASE_URL: o.databaseUrl,
        IDENTITY_PEPPER: randomBytes(32).toString('hex'),
        PII_KEYS: `k1:${randomBytes(32).toString('hex')}`,
        KAFKA_BROKERS: o.brokers,
        KAFKA_CDR_TOPIC: o.topics.cdr,
        KAFKA_IMEI_TOPIC: o.topics.imei,
        KAFKA_DLQ_TOPIC: o.topics.dlq,
        KAFKA_ALERTS_TOPIC: o.topics.alerts,
        KAFKA_GROUP_ID: o.topics.group,
      },
      stdio: o.stdio,
    },
  );
}
