import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('console and order configuration', () => {
  it('defaults to 30 min idle, 12 h sessions, 5 failures per 15 min, 15-day orders, 24 h acks', () => {
    expect(loadConfig({})).toMatchObject({
      CONSOLE_SESSION_IDLE_MINUTES: 30,
      CONSOLE_SESSION_ABSOLUTE_HOURS: 12,
      CONSOLE_COOKIE_SECURE: 'auto',
      LOGIN_MAX_FAILURES: 5,
      LOGIN_MAX_FAILURES_PER_ADDRESS: 50,
      TRUST_PROXY: false,
      LOGIN_LOCK_MINUTES: 15,
      ORDER_MAX_DAYS: 15,
      ORDER_ACK_DEADLINE_HOURS: 24,
      ORDER_REVIEW_DAYS: 5,
    });
  });

  it('names each bad console setting', () => {
    let fields: string[] = [];
    try {
      loadConfig({
        CONSOLE_COOKIE_SECURE: 'sometimes',
        ORDER_MAX_DAYS: '0',
        LOGIN_MAX_FAILURES: 'x',
      });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      fields = err.issues.map((i) => i.field);
    }
    expect(fields).toEqual(['CONSOLE_COOKIE_SECURE', 'LOGIN_MAX_FAILURES', 'ORDER_MAX_DAYS']);
  });
});
