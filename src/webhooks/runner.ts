import type { AppDeps } from '../platform/http/context.js';
import { ensureTopics, KafkaProducer } from '../platform/kafka/client.js';
import { DAY_MS } from '../platform/time.js';
import { kafkaSettings } from '../scoring/kafka-scorer.js';
import { WebhookDispatcher } from './dispatcher.js';

/** Partitions of the webhook events topic when this process creates it. */
const TOPIC_PARTITIONS = 4;

/**
 * Starts a webhook dispatcher for the api role from the config: with KAFKA_BROKERS set, events
 * also go to KAFKA_WEBHOOK_TOPIC (created if missing). Returns its stop.
 */
export async function startWebhookDispatcher(
  deps: Pick<AppDeps, 'config' | 'db' | 'sql' | 'secrets' | 'log'>,
): Promise<{ dispatcher: WebhookDispatcher; stop(): Promise<void> }> {
  const { config } = deps;
  const settings = kafkaSettings(config);
  if (config.KAFKA_BROKERS)
    await ensureTopics(settings, [
      { topic: config.KAFKA_WEBHOOK_TOPIC, partitions: TOPIC_PARTITIONS },
    ]);
  const dispatcher = new WebhookDispatcher({
    db: deps.db,
    sql: deps.sql,
    keyring: { keys: deps.secrets.piiKeys },
    log: deps.log,
    timeoutMs: config.WEBHOOK_TIMEOUT_MS,
    retryDelaysMs: config.WEBHOOK_RETRY_DELAYS_MS,
    concurrency: config.WEBHOOK_CONCURRENCY,
    pollMs: config.WEBHOOK_POLL_MS,
    retentionMs: config.WEBHOOK_RETENTION_DAYS * DAY_MS,
    allowInsecureUrls: config.WEBHOOK_ALLOW_INSECURE_URLS,
    ...(config.KAFKA_BROKERS
      ? {
          kafka: {
            topic: config.KAFKA_WEBHOOK_TOPIC,
            connect: () => KafkaProducer.connect(settings, 'simline-webhooks'),
          },
        }
      : {}),
  });
  await dispatcher.start();
  return { dispatcher, stop: () => dispatcher.stop() };
}
