import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** One registry per app instance (no module-level singleton, so tests stay independent). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequests: new Counter({
      name: 'simline_http_requests_total',
      help: 'HTTP requests by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'simline_http_request_duration_seconds',
      help: 'HTTP request latency by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    registrations: new Counter({
      name: 'simline_registrations_total',
      help: 'Registration attempts by outcome (created, replayed, or the refusal code)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    capRefusals: new Counter({
      name: 'simline_cap_refusals_total',
      help: 'Registrations refused by a SIM cap, by cap kind and country',
      labelNames: ['cap', 'country'] as const,
      registers: [registry],
    }),
    scorerRecords: new Counter({
      name: 'simline_scorer_records_total',
      help: 'Records the scorer read, by stage (line, imei) and outcome (accepted, duplicate, late, dead_lettered, replayed)',
      labelNames: ['stage', 'outcome'] as const,
      registers: [registry],
    }),
    scorerLag: new Gauge({
      name: 'simline_scorer_consumer_lag',
      help: "Records not yet read, by stage and partition: the partition's high watermark minus the next offset",
      labelNames: ['stage', 'partition'] as const,
      registers: [registry],
    }),
    scorerDeadLettered: new Counter({
      name: 'simline_scorer_dlq_total',
      help: 'Records the scorer sent to the dead-letter topic, by stage',
      labelNames: ['stage'] as const,
      registers: [registry],
    }),
    scorerAlerts: new Counter({
      name: 'simline_scorer_alerts_total',
      help: 'Alerts the scorer stored and published, by rule',
      labelNames: ['rule'] as const,
      registers: [registry],
    }),
    scorerCommitSeconds: new Histogram({
      name: 'simline_scorer_commit_seconds',
      help: 'Time to store one commit (state, offsets and alerts in one transaction), by stage',
      labelNames: ['stage'] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
