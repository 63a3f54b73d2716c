import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendWebhook } from '../../src/webhooks/send.js';
import { isPublicAddress } from '../../src/webhooks/url-policy.js';
import { startReceiver } from '../support/receiver.js';
import { createWorld, type World } from '../support/world.js';

let w: World;
let op: { apiKey: string };

beforeAll(async () => {
  w = await createWorld();
  op = await w.operator('TH');
});
afterAll(() => w.close());

describe('webhook URL policy (insecure URLs not allowed)', () => {
  it.each([
    ['http://hooks.example.com/x', 'https'],
    ['https://127.0.0.1/x', 'not public'],
    ['https://10.1.2.3/x', 'not public'],
    ['https://172.16.0.1/x', 'not public'],
    ['https://192.168.1.1/x', 'not public'],
    ['https://169.254.169.254/latest/meta-data', 'not public'],
    ['https://100.64.0.1/x', 'not public'],
    ['https://0.0.0.0/x', 'not public'],
    ['https://[::1]/x', 'not public'],
    ['https://[fe80::1]/x', 'not public'],
    ['https://[fd00::1]/x', 'not public'],
    ['https://[::ffff:127.0.0.1]/x', 'not public'],
    ['https://localhost/x', 'not public'],
    ['https://user:pw@93.184.215.14/x', 'credentials'],
    ['not a url', 'absolute'],
  ])('refuses %s (webhook_url_not_allowed)', async (url, why) => {
    const res = await w.request('POST', '/v1/webhooks', {
      key: op.apiKey,
      body: { url, events: ['watchlist.match'] },
    });
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const problem = (await res.json()) as { code: string; detail: string };
    expect(problem.code).toBe('webhook_url_not_allowed');
    expect(problem.detail).toContain(why);
  });

  it('accepts https to a public address', async () => {
    const res = await w.request('POST', '/v1/webhooks', {
      key: op.apiKey,
      body: { url: 'https://93.184.215.14/hooks/simline', events: ['watchlist.match'] },
    });
    expect(res.status).toBe(201);
  });

  it('refuses at connect time a name that resolves to a private address (DNS rebinding)', async () => {
    const r = await startReceiver();
    try {
      const port = new URL(r.url).port;
      const out = await sendWebhook({
        url: `http://localhost:${port}/hook`,
        secrets: [`whsec_${Buffer.alloc(32, 1).toString('base64')}`],
        msgId: 'msg_test',
        body: '{}',
        at: new Date(),
        timeoutMs: 2000,
        allowInsecure: false,
      });
      expect(out.ok).toBe(false);
      expect(out.error).toContain('not public');
      expect(r.received).toHaveLength(0);
    } finally {
      await r.close();
    }
  });

  it('judges addresses: public unicast only', () => {
    expect(isPublicAddress('93.184.215.14')).toBe(true);
    expect(isPublicAddress('2606:2800:21f:cb07:6820:80da:af6b:8b2c')).toBe(true);
    for (const a of ['127.0.0.1', '10.0.0.1', '::1', '::ffff:10.0.0.1', '224.0.0.1', 'nope'])
      expect(isPublicAddress(a), a).toBe(false);
  });
});
