import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { RateLimiter, takeTokens } from '../../src/platform/rate-limit.js';
import { createWorld, type World } from '../support/world.js';

let w: World;
beforeAll(async () => {
  w = await createWorld({ RATE_LIMIT_RPS: '1', RATE_LIMIT_BURST: '4' });
});
afterAll(async () => {
  await w.close();
});

const api = (rps: number, burst: number) =>
  new RateLimiter(w.deps.db, 'api', { kind: 'bucket', ratePerSec: rps, burst });

describe('rate limits shared by API replicas', () => {
  it("holds an operator's API budget across two app instances on one database", async () => {
    const op = await w.operator('TH');
    const replica = buildApp({ ...w.deps, rateLimiter: api(1, 4) });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const app = i % 2 === 0 ? w.app : replica;
      const res = await app.request('/v1/registrations/+66800000000', {
        headers: { authorization: `Bearer ${op.apiKey}` },
      });
      statuses.push(res.status);
    }
    expect(statuses.filter((s) => s !== 429)).toHaveLength(4);
    expect(statuses.slice(4)).toEqual([429, 429, 429, 429]);
    /** Another operator has its own budget. */
    const other = await w.operator('TH');
    const res = await replica.request('/v1/registrations/+66800000000', {
      headers: { authorization: `Bearer ${other.apiKey}` },
    });
    expect(res.status).toBe(404);
  });

  it('never grants more than the burst to concurrent takers in two replicas', async () => {
    const [a, b] = [api(0.001, 25), api(0.001, 25)];
    const now = Date.now();
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? a : b).take('op_concurrent', now)),
    );
    expect(results.filter((wait) => wait === 0)).toHaveLength(25);
    expect(Math.min(...results.filter((wait) => wait > 0))).toBeGreaterThanOrEqual(1);
  });

  it('leases tokens in blocks, so a busy replica queries the database once per block', async () => {
    /** 1000/s leases blocks of 100: the first take holds 100 tokens of the shared 150. */
    const [a, b] = [api(1000, 150), api(1000, 150)];
    const now = Date.now();
    expect(await a.take('op_blocks', now)).toBe(0);
    const row = await w.deps.db
      .selectFrom('rate_buckets')
      .select(['tokens', 'granted'])
      .where('scope', '=', 'api')
      .where('subject', '=', 'op_blocks')
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ tokens: 50, granted: 100 });
    let allowed = 1;
    for (let i = 0; i < 99; i++) if ((await a.take('op_blocks', now)) === 0) allowed++;
    for (let i = 0; i < 100; i++) if ((await b.take('op_blocks', now)) === 0) allowed++;
    expect(allowed).toBe(150);
  });

  it('counts fixed windows: the limit per window, Retry-After to the window end', async () => {
    const limit = { kind: 'window', limit: 2, windowMs: 60_000 } as const;
    const take = (at: string) =>
      takeTokens(w.deps.db, { scope: 'test', subject: 'op_w', limit, want: 1, now: new Date(at) });
    expect(await take('2026-11-25T10:05:10Z')).toEqual({ granted: 1, retryAfter: 0 });
    expect(await take('2026-11-25T10:05:20Z')).toEqual({ granted: 1, retryAfter: 0 });
    expect(await take('2026-11-25T10:05:30Z')).toEqual({ granted: 0, retryAfter: 30 });
    /** A replica whose clock runs behind neither resets nor moves the window back. */
    expect(await take('2026-11-25T10:04:59Z')).toMatchObject({ granted: 0 });
    expect(await take('2026-11-25T10:06:00Z')).toEqual({ granted: 1, retryAfter: 0 });
  });
});
