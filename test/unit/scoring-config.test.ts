import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('scorer configuration', () => {
  it('runs the scorer beside the API by default only when Kafka is configured', () => {
    expect(loadConfig({}).SIMLINE_ROLE).toEqual(['api']);
    const withKafka = loadConfig({ KAFKA_BROKERS: '127.0.0.1:9092' });
    expect(withKafka.SIMLINE_ROLE).toEqual(['api', 'scorer']);
    expect(withKafka.KAFKA_CDR_TOPIC).toBe('cdr.records');
    expect(withKafka.KAFKA_DLQ_TOPIC).toBe('cdr.dlq');
    expect(withKafka.KAFKA_ALERTS_TOPIC).toBe('line.alerts');
    expect(withKafka.SCORING_LATENESS_MS).toBe(600_000);
    expect(withKafka.SCORING_MAX_FUTURE_SKEW_MS).toBe(900_000);
    expect(loadConfig({ SCORING_MAX_FUTURE_SKEW_MS: '60000' }).SCORING_MAX_FUTURE_SKEW_MS).toBe(
      60_000,
    );
    expect(() => loadConfig({ SCORING_MAX_FUTURE_SKEW_MS: '-1' })).toThrow(ConfigError);
    expect(loadConfig({ SIMLINE_ROLE: 'api', KAFKA_BROKERS: 'k:9092' }).SIMLINE_ROLE).toEqual([
      'api',
    ]);
  });

  it('writes group sightings in the compact encoding unless told JSON, and names a bad value', () => {
    expect(loadConfig({}).KAFKA_GROUP_ENCODING).toBe('binary');
    expect(loadConfig({ KAFKA_GROUP_ENCODING: 'json' }).KAFKA_GROUP_ENCODING).toBe('json');
    try {
      loadConfig({ KAFKA_GROUP_ENCODING: 'xml' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).issues.map((i) => i.field)).toEqual(['KAFKA_GROUP_ENCODING']);
    }
  });

  it('refuses the scorer role without brokers and names the field', () => {
    try {
      loadConfig({ SIMLINE_ROLE: 'scorer' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).issues).toEqual([
        { field: 'KAFKA_BROKERS', message: 'required for the scorer role' },
      ]);
    }
    expect(() => loadConfig({ SIMLINE_ROLE: 'api,batch' })).toThrow(ConfigError);
  });
});
