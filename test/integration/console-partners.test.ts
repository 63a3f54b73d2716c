import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addPartner } from '../../src/federation/partners.js';
import { consoleSession, type Session } from '../support/console.js';
import { createWorld, type World } from '../support/world.js';

let world: World;
let auditor: Session;

beforeAll(async () => {
  world = await createWorld({ SIMLINE_COUNTRY: 'LA' });
  auditor = await consoleSession(world, 'auditor');
});
afterAll(() => world.close());

describe('console partner sync status', () => {
  it('shows each partner with its country, lag, counts, last success and last error', async () => {
    const ctx = {
      db: world.deps.db,
      actor: 'test',
      now: world.now(),
      country: 'LA',
      keyring: { keys: world.deps.secrets.piiKeys },
    };
    const pulled = await addPartner({
      ctx,
      input: {
        country: 'TH',
        name: 'Thailand simline',
        pull: { taxiiUrl: 'https://simline.example.th/taxii2/', key: 'slk_k_s' },
      },
    });
    await addPartner({ ctx, input: { country: 'KH', name: 'Cambodia simline' } });
    await world.deps.db
      .updateTable('federation_pulls')
      .set({
        recent_lags_ms: [1200, 3400, 4100],
        imported: 12,
        updated: 3,
        revoked: 2,
        refused: 1,
        last_success_at: new Date('2026-11-25T10:04:00Z'),
        last_error: 'refused indicator--x: pattern not understood',
        last_error_at: new Date('2026-11-25T10:03:00Z'),
      })
      .where('partner_id', '=', pulled.partnerId)
      .execute();
    const res = await auditor.request('GET', '/console/partners');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('Thailand simline');
    expect(html).toContain('3.4 s / 4.1 s');
    expect(html).toContain('12 · 3 · 2 · 1');
    expect(html).toContain('2026-11-25 10:04 UTC');
    expect(html).toContain('refused indicator--x: pattern not understood');
    expect(html).toContain('Cambodia simline');
    expect(html).toContain('Reads from us only; not pulled.');
    expect(html).not.toContain('slk_k_s');
  });

  it('sends visitors without a session to the login page', async () => {
    const res = await world.request('GET', '/console/partners');
    expect(res.status).toBe(303);
  });
});
