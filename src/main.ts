import { parseArgs } from 'node:util';
import { serve } from '@hono/node-server';
import { buildApp, buildProbeApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { FederationPuller } from './federation/puller.js';
import { startCheckpointWriter } from './platform/audit-checkpoint.js';
import { answerClientErrors } from './platform/http/client-errors.js';
import { purgeExpiredIdempotencyKeys } from './platform/idempotency.js';
import { createLogger } from './platform/log.js';
import { MINUTE_MS } from './platform/time.js';
import { openRuntime } from './runtime.js';
import { KafkaScorer } from './scoring/kafka-scorer.js';
import { startWebhookDispatcher } from './webhooks/runner.js';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { role: { type: 'string' } }, strict: true });
  const env = { ...process.env, ...(values.role ? { SIMLINE_ROLE: values.role } : {}) };
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write('simline: invalid configuration\n');
    for (const i of err.issues) process.stderr.write(`  ${i.field}: ${i.message}\n`);
    process.exit(1);
  }
  const log = createLogger({ level: config.LOG_LEVEL });
  const runtime = await openRuntime(config, log);
  const { deps } = runtime;
  const roles = config.SIMLINE_ROLE;
  /** Every role listens: a scorer-only process still answers its probes and /metrics. */
  const app = roles.includes('api') ? buildApp(deps) : buildProbeApp(deps);
  const server = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, (info) =>
    log.info({ port: info.port, roles }, 'simline listening'),
  );
  answerClientErrors(server);
  let scorer: KafkaScorer | undefined;
  if (roles.includes('scorer')) {
    scorer = new KafkaScorer(deps.db, runtime.databaseUrl, config, log, deps.metrics, (err) => {
      log.fatal({ err }, 'scorer failed; exiting so a restart resumes from the stored offsets');
      log.flush();
      process.exit(1);
    });
    await scorer.start();
  }
  /** Webhook deliveries run beside the API: any number of api replicas share the outbox. */
  const webhooks = roles.includes('api') ? await startWebhookDispatcher(deps) : undefined;
  const purge = setInterval(() => {
    purgeExpiredIdempotencyKeys(deps.db, deps.clock()).catch((err) =>
      log.warn({ err }, 'idempotency purge failed'),
    );
  }, 10 * MINUTE_MS);
  purge.unref();
  /** Signed audit checkpoints, for shipping off the host (see `audit verify --checkpoint`). */
  const checkpoints =
    roles.includes('api') && config.AUDIT_CHECKPOINT_DIR
      ? startCheckpointWriter({
          db: deps.db,
          key: deps.secrets.auditSigningKey,
          dir: config.AUDIT_CHECKPOINT_DIR,
          intervalMs: config.AUDIT_CHECKPOINT_INTERVAL_MS,
          clock: deps.clock,
          log,
        })
      : undefined;

  /** Pulls partners' TAXII collections and sends sightings back (api role). */
  const puller = roles.includes('api')
    ? new FederationPuller({
        db: deps.db,
        keyring: { keys: deps.secrets.piiKeys },
        log,
        clock: deps.clock,
        intervalMs: config.FEDERATION_PULL_MS,
      })
    : undefined;
  puller?.start();

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: no new connections, finishing in-flight requests');
    clearInterval(purge);
    const force = setTimeout(() => {
      log.error('in-flight requests did not finish in time; exiting');
      process.exit(1);
    }, config.SHUTDOWN_GRACE_MS);
    force.unref();
    const finish = async () => {
      await checkpoints?.stop();
      await webhooks?.stop();
      await puller?.stop();
      await scorer?.stop();
      await runtime.close();
      log.info('stopped');
      log.flush();
      process.exit(0);
    };
    server.close(finish);
    if ('closeIdleConnections' in server) server.closeIdleConnections();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err) => {
  const reason = err instanceof Error ? err.message : `an error without a message (${String(err)})`;
  process.stderr.write(`simline: failed to start: ${reason}\n`);
  process.exit(1);
});
