import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

function fields(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => i.field);
    throw err;
  }
  return [];
}

describe('webhook config', () => {
  it('defaults to https-only URLs, the Standard Webhooks retry schedule and the events topic', () => {
    const c = loadConfig({});
    expect(c.WEBHOOK_ALLOW_INSECURE_URLS).toBe(false);
    expect(c.WEBHOOK_RETRY_DELAYS_MS).toEqual([
      5000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000,
    ]);
    expect(c.WEBHOOK_TIMEOUT_MS).toBe(10_000);
    expect(c.WEBHOOK_RETENTION_DAYS).toBe(30);
    expect(c.WEBHOOK_SECRET_GRACE_HOURS).toBe(24);
    expect(c.KAFKA_WEBHOOK_TOPIC).toBe('watchlist.events');
  });

  it('reads a retry schedule and refuses a bad one naming the field', () => {
    expect(loadConfig({ WEBHOOK_RETRY_DELAYS_MS: '50, 100' }).WEBHOOK_RETRY_DELAYS_MS).toEqual([
      50, 100,
    ]);
    expect(fields({ WEBHOOK_RETRY_DELAYS_MS: '50,soon' })).toEqual(['WEBHOOK_RETRY_DELAYS_MS']);
    expect(fields({ WEBHOOK_RETRY_DELAYS_MS: '-5' })).toEqual(['WEBHOOK_RETRY_DELAYS_MS']);
    expect(fields({ WEBHOOK_ALLOW_INSECURE_URLS: 'yes' })).toEqual(['WEBHOOK_ALLOW_INSECURE_URLS']);
    expect(fields({ WEBHOOK_TIMEOUT_MS: '10' })).toEqual(['WEBHOOK_TIMEOUT_MS']);
  });
});
