import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, createBank } from '../../src/access/operators.js';
import { WebhookDispatcher } from '../../src/webhooks/dispatcher.js';
import {
  claimDueDeliveries,
  insertDeliveries,
  lockPendingEvents,
  markDispatched,
  purgeHistory,
} from '../../src/webhooks/queries.js';
import { startWebhookDispatcher } from '../../src/webhooks/runner.js';
import { cdr, ndjson } from '../support/cdrs.js';
import { brokers, readTopic } from '../support/kafka.js';
import { type Received, type Receiver, startReceiver } from '../support/receiver.js';
import { msisdn } from '../support/subjects.js';
import { listIndicator } from '../support/watchlist.js';
import { createWorld, type World } from '../support/world.js';

const T = Date.parse('2026-11-25T10:00:00Z');
const RELOAD_MS = 1000;
const TOPIC = `t${randomBytes(4).toString('hex')}.watchlist.events`;

let w: World;
let dispatcher: Awaited<ReturnType<typeof startWebhookDispatcher>> | undefined;
const receivers: Receiver[] = [];

beforeAll(async () => {
  w = await createWorld({
    SCORING_RELOAD_MS: '0',
    WATCHLIST_RELOAD_MS: String(RELOAD_MS),
    WEBHOOK_ALLOW_INSECURE_URLS: 'true',
    WEBHOOK_RETRY_DELAYS_MS: '50,100',
    WEBHOOK_POLL_MS: '50',
    WEBHOOK_TIMEOUT_MS: '2000',
    KAFKA_BROKERS: brokers(),
    KAFKA_WEBHOOK_TOPIC: TOPIC,
  });
  dispatcher = await startWebhookDispatcher(w.deps);
});
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.close();
});
afterAll(async () => {
  await dispatcher?.stop();
  await w.close();
});

async function receiver(status?: (n: number) => number): Promise<Receiver> {
  const r = await startReceiver(status);
  receivers.push(r);
  return r;
}

function bankCode(): string {
  return `B${randomBytes(4).toString('hex').toUpperCase()}`;
}

async function bank(code = bankCode()) {
  const b = await createBank({
    ctx: { db: w.deps.db, actor: 'test', now: w.now() },
    input: { name: `Bank ${code}`, country: 'TH', bankCode: code },
  });
  return { ...b, bankCode: code };
}

async function subscribe(key: string, url: string, events: string[]) {
  const res = await w.request('POST', '/v1/webhooks', { key, body: { url, events } });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; secret: string };
}

/** A new bank with a receiver of its own subscribed to `events`. */
async function subscribedBank(
  events = ['watchlist.account_listed'],
  status?: (n: number) => number,
) {
  const b = await bank();
  const r = await receiver(status);
  const sub = await subscribe(b.apiKey, r.url, events);
  return { b, r, sub };
}

/** The first request `r` receives. */
async function firstDelivery(r: Receiver): Promise<Received> {
  const [got] = await r.waitFor(1);
  if (!got) throw new Error('no delivery');
  return got;
}

/** Runs `fn` with the shared dispatcher stopped, then starts it again. */
async function withoutDispatcher<T>(fn: () => Promise<T>): Promise<T> {
  await dispatcher?.stop();
  dispatcher = undefined;
  try {
    return await fn();
  } finally {
    dispatcher = await startWebhookDispatcher(w.deps);
  }
}

const ACCOUNT_EVENTS = ['watchlist.account_listed', 'watchlist.account_revoked'];

async function listAccount(key: string, code: string, account = randomDigits(10)) {
  const res = await w.request('POST', '/v1/watchlist/indicators', {
    key,
    body: {
      type: 'bank_account',
      value: account,
      bankCode: code,
      category: 'mule_account',
      confidence: 90,
      tlp: 'amber',
      shareWith: ['*'],
      description: 'mule account seen in a police case',
      caseRef: 'CASE-SECRET-1',
    },
  });
  expect(res.status).toBe(201);
  return { ...((await res.json()) as { id: string }), account };
}

function randomDigits(n: number): string {
  return Array.from(randomBytes(n), (b) => String(b % 10)).join('');
}

/** The Standard Webhooks library's own verification of a received request. */
function verify(secret: string, r: Received) {
  return new Webhook(secret).verify(r.body, {
    'webhook-id': String(r.headers['webhook-id']),
    'webhook-timestamp': String(r.headers['webhook-timestamp']),
    'webhook-signature': String(r.headers['webhook-signature']),
  }) as { type: string; timestamp: string; data: Record<string, unknown> };
}

async function deliveries(key: string, id: string) {
  const res = await w.request('GET', `/v1/webhooks/${id}/deliveries`, { key });
  expect(res.status).toBe(200);
  return ((await res.json()) as { items: Record<string, unknown>[] }).items;
}

/** Whether each of an organisation's events is on the Kafka topic yet. */
async function published(orgId: string): Promise<boolean[]> {
  const rows = await w.deps.db
    .selectFrom('webhook_events')
    .select('published_at')
    .where('org_id', '=', orgId)
    .execute();
  return rows.map((r) => r.published_at !== null);
}

describe('bank account events', () => {
  it('tells a bank, signed per Standard Webhooks, of a listing at its bank code and of its revocation, and not another bank', async () => {
    const mine = await bank();
    const other = await bank();
    const rMine = await receiver();
    const rOther = await receiver();
    const sub = await subscribe(mine.apiKey, rMine.url, ACCOUNT_EVENTS);
    await subscribe(other.apiKey, rOther.url, ACCOUNT_EVENTS);
    expect(sub.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);

    const listed = await listAccount(mine.apiKey, mine.bankCode, '12-3456-7890');
    const got = await firstDelivery(rMine);
    expect(got.headers['webhook-id']).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(got.headers['webhook-signature']).toMatch(/^v1,/);
    const event = verify(sub.secret, got);
    expect(event.type).toBe('watchlist.account_listed');
    expect(event.timestamp).toBe(w.now().toISOString());
    expect(event.data).toMatchObject({
      indicatorId: listed.id,
      type: 'bank_account',
      bankCode: mine.bankCode,
      accountNumber: '1234567890',
      category: 'mule_account',
      status: 'active',
    });
    // Nothing the marking or the recipient's scope does not allow: no words, case or sources.
    expect(got.body).not.toContain('CASE-SECRET-1');
    expect(got.body).not.toContain('police');
    expect(got.body).not.toContain(mine.bankId);
    expect(() => verify(`whsec_${randomBytes(32).toString('base64')}`, got)).toThrow();

    const revoke = await w.request('POST', `/v1/watchlist/indicators/${listed.id}/revoke`, {
      key: mine.apiKey,
      body: { reason: 'account closed by the bank' },
    });
    expect(revoke.status).toBe(200);
    const [, second] = await rMine.waitFor(2);
    if (!second) throw new Error('no second delivery');
    const revoked = verify(sub.secret, second);
    expect(revoked.type).toBe('watchlist.account_revoked');
    expect(revoked.data).toMatchObject({ indicatorId: listed.id, status: 'revoked' });
    expect(second.body).not.toContain('account closed');

    await expect
      .poll(async () =>
        (await deliveries(mine.apiKey, sub.id)).map((d) => [d.type, d.status, d.attempts]),
      )
      .toEqual([
        ['watchlist.account_revoked', 'delivered', 1],
        ['watchlist.account_listed', 'delivered', 1],
      ]);
    await new Promise((r) => setTimeout(r, 300));
    expect(rOther.received).toHaveLength(0);
  });

  it('tells the bank again when a revoked account is listed again', async () => {
    const { b, r, sub } = await subscribedBank(ACCOUNT_EVENTS);
    const first = await listAccount(b.apiKey, b.bankCode);
    const revoke = await w.request('POST', `/v1/watchlist/indicators/${first.id}/revoke`, {
      key: b.apiKey,
      body: { reason: 'listed in error' },
    });
    expect(revoke.status).toBe(200);
    const again = await w.request('POST', '/v1/watchlist/indicators', {
      key: b.apiKey,
      body: {
        type: 'bank_account',
        value: first.account,
        bankCode: b.bankCode,
        category: 'mule_account',
        confidence: 95,
        tlp: 'green',
        shareWith: ['*'],
        description: 'seen again',
      },
    });
    expect(again.status).toBe(200);
    const got = await r.waitFor(3);
    const types = got.map((g) => verify(sub.secret, g));
    expect(new Set(types.map((t) => t.type))).toEqual(new Set(ACCOUNT_EVENTS));
    expect(types.filter((t) => t.type === 'watchlist.account_listed')).toHaveLength(2);
    expect(types.every((t) => t.data.indicatorId === first.id)).toBe(true);
  });

  it('delivers to the third attempt when the receiver fails twice, with backoff', async () => {
    const { b, r, sub } = await subscribedBank(undefined, (n) => (n <= 2 ? 503 : 200));
    await listAccount(b.apiKey, b.bankCode);
    const got = await r.waitFor(3);
    const ids = new Set(got.map((g) => g.headers['webhook-id']));
    expect(ids.size).toBe(1);
    for (const g of got) expect(verify(sub.secret, g).type).toBe('watchlist.account_listed');
    const gaps = [1, 2].map((i) => (got[i]?.at ?? 0) - (got[i - 1]?.at ?? 0));
    expect(gaps[0]).toBeGreaterThanOrEqual(45);
    expect(gaps[1]).toBeGreaterThanOrEqual(95);
    await expect
      .poll(async () => (await deliveries(b.apiKey, sub.id))[0])
      .toMatchObject({ status: 'delivered', attempts: 3, lastStatus: 200 });
  });

  it('marks a delivery failed after the last retry', async () => {
    const { b, r, sub } = await subscribedBank(undefined, () => 500);
    await listAccount(b.apiKey, b.bankCode);
    await r.waitFor(3);
    await expect
      .poll(async () => (await deliveries(b.apiKey, sub.id))[0])
      .toMatchObject({ status: 'failed', attempts: 3, lastStatus: 500, nextAttemptAt: null });
    await new Promise((res) => setTimeout(res, 300));
    expect(r.received).toHaveLength(3);
  });

  it('delivers an event committed while no dispatcher ran, once one starts again', async () => {
    const { b, r, sub } = await subscribedBank();
    await withoutDispatcher(async () => {
      await listAccount(b.apiKey, b.bankCode);
      await new Promise((res) => setTimeout(res, 300));
      expect(r.received).toHaveLength(0);
    });
    const got = await firstDelivery(r);
    expect(verify(sub.secret, got).type).toBe('watchlist.account_listed');
  });

  it('attempts again a delivery whose worker died mid-attempt, once its lease ends', async () => {
    const { b, r, sub } = await subscribedBank();
    await withoutDispatcher(async () => {
      await listAccount(b.apiKey, b.bankCode);
      // What a worker does before it dies: dispatch the event, then claim its delivery.
      await w.deps.db.transaction().execute(async (tx) => {
        const events = await lockPendingEvents(tx, 100);
        await insertDeliveries(tx, events, new Date());
        await markDispatched(
          tx,
          events.map((e) => e.id),
          new Date(),
        );
      });
      const now = new Date();
      const claimed = await claimDueDeliveries(w.deps.db, {
        now,
        leaseUntil: new Date(now.getTime() + 400),
        limit: 100,
      });
      expect(claimed.map((c) => c.subscription_id)).toContain(sub.id);
    });
    await new Promise((res) => setTimeout(res, 200));
    expect(r.received).toHaveLength(0);
    const got = await firstDelivery(r);
    expect(verify(sub.secret, got).type).toBe('watchlist.account_listed');
    await expect
      .poll(async () => (await deliveries(b.apiKey, sub.id))[0])
      .toMatchObject({ status: 'delivered', attempts: 2 });
  });

  it('delivers each event once with several dispatchers sharing the outbox', async () => {
    const second = await startWebhookDispatcher(w.deps);
    try {
      const { b, r } = await subscribedBank();
      const listed = await Promise.all(
        Array.from({ length: 20 }, () => listAccount(b.apiKey, b.bankCode)),
      );
      const got = await r.waitFor(20);
      await new Promise((res) => setTimeout(res, 300));
      expect(r.received).toHaveLength(20);
      expect(new Set(got.map((g) => g.headers['webhook-id'])).size).toBe(20);
      const ids = new Set(got.map((g) => JSON.parse(g.body).data.indicatorId));
      expect(ids).toEqual(new Set(listed.map((l) => l.id)));
    } finally {
      await second.stop();
    }
  });

  it('signs with the new and the old secret for the grace period after a rotation, then with the new only', async () => {
    const { b, r, sub } = await subscribedBank();
    const rotate = async () => {
      const res = await w.request('POST', `/v1/webhooks/${sub.id}/rotate-secret`, {
        key: b.apiKey,
      });
      expect(res.status).toBe(200);
      return (await res.json()) as { id: string; secret: string };
    };
    const was = w.now();
    try {
      // Rotated now: within the 24 h grace both secrets sign.
      w.setNow(new Date());
      const first = await rotate();
      expect(first.id).toBe(sub.id);
      expect(first.secret).not.toBe(sub.secret);
      await listAccount(b.apiKey, b.bankCode);
      const during = await firstDelivery(r);
      expect(String(during.headers['webhook-signature']).split(' ')).toHaveLength(2);
      expect(verify(first.secret, during).type).toBe('watchlist.account_listed');
      expect(verify(sub.secret, during).type).toBe('watchlist.account_listed');
      // Rotated 25 h ago: the grace is over, only the newest secret signs.
      w.setNow(new Date(Date.now() - 25 * 3_600_000));
      const second = await rotate();
      await listAccount(b.apiKey, b.bankCode);
      const [, after] = await r.waitFor(2);
      if (!after) throw new Error('no second delivery');
      expect(String(after.headers['webhook-signature']).split(' ')).toHaveLength(1);
      expect(verify(second.secret, after).type).toBe('watchlist.account_listed');
      expect(() => verify(first.secret, after)).toThrow();
      expect(() => verify(sub.secret, after)).toThrow();
    } finally {
      w.setNow(was);
    }
  });

  it('sends nothing more to a deleted webhook', async () => {
    const { b, r, sub } = await subscribedBank();
    const del = await w.request('DELETE', `/v1/webhooks/${sub.id}`, { key: b.apiKey });
    expect(del.status).toBe(204);
    const list = await w.request('GET', '/v1/webhooks', { key: b.apiKey });
    expect(((await list.json()) as { items: unknown[] }).items).toHaveLength(0);
    await listAccount(b.apiKey, b.bankCode);
    await new Promise((res) => setTimeout(res, 500));
    expect(r.received).toHaveLength(0);
  });

  it('delivers webhooks while Kafka is down, and publishes the events once it is back', async () => {
    const { b, r, sub } = await subscribedBank();
    await withoutDispatcher(async () => {
      const { config } = w.deps;
      const brokerDown = new WebhookDispatcher({
        db: w.deps.db,
        sql: w.deps.sql,
        keyring: { keys: w.deps.secrets.piiKeys },
        log: w.deps.log,
        timeoutMs: config.WEBHOOK_TIMEOUT_MS,
        retryDelaysMs: config.WEBHOOK_RETRY_DELAYS_MS,
        concurrency: 4,
        pollMs: 50,
        retentionMs: 86_400_000,
        allowInsecureUrls: true,
        kafka: { topic: TOPIC, connect: () => Promise.reject(new Error('broker down')) },
      });
      try {
        await brokerDown.start();
        await listAccount(b.apiKey, b.bankCode);
        const got = await firstDelivery(r);
        expect(verify(sub.secret, got).type).toBe('watchlist.account_listed');
        expect(await published(b.bankId)).toEqual([false]);
      } finally {
        await brokerDown.stop();
      }
    });
    await expect.poll(() => published(b.bankId)).toEqual([true]);
    await new Promise((res) => setTimeout(res, 200));
    expect(r.received).toHaveLength(1);
  });

  it('purges finished deliveries and their events past the retention, never pending ones', async () => {
    const done = await bank();
    const r = await receiver();
    const sub = await subscribe(done.apiKey, r.url, ['watchlist.account_listed']);
    await listAccount(done.apiKey, done.bankCode);
    await expect
      .poll(async () => (await deliveries(done.apiKey, sub.id))[0]?.status)
      .toBe('delivered');
    await expect.poll(() => published(done.bankId)).toEqual([true]);
    const waiting = await bank();
    await withoutDispatcher(async () => {
      await subscribe(waiting.apiKey, r.url, ['watchlist.account_listed']);
      await listAccount(waiting.apiKey, waiting.bankCode);
      await purgeHistory(w.deps.db, { before: new Date(Date.now() + 60_000) });
    });
    expect(await deliveries(done.apiKey, sub.id)).toEqual([]);
    const left = await w.deps.db
      .selectFrom('webhook_events')
      .select('org_id')
      .where('org_id', 'in', [done.bankId, waiting.bankId])
      .execute();
    expect(left).toEqual([{ org_id: waiting.bankId }]);
    await r.waitFor(2);
  });

  it('puts the events on the Kafka topic, keyed by organisation', async () => {
    const b = await bank();
    const listed = await listAccount(b.apiKey, b.bankCode);
    const messages = await readTopic(
      TOPIC,
      Number.MAX_SAFE_INTEGER,
      (m) => m.key?.toString() === b.bankId,
    );
    const mine = messages.filter((m) => m.key?.toString() === b.bankId);
    expect(mine).toHaveLength(1);
    const value = JSON.parse(mine[0]?.value?.toString() ?? '{}') as Record<string, unknown>;
    expect(value).toMatchObject({
      organisationId: b.bankId,
      type: 'watchlist.account_listed',
      data: { indicatorId: listed.id, bankCode: b.bankCode },
    });
    expect(value.id).toMatch(/^msg_/);
  });
});

describe('operator match events', () => {
  it('tells an operator when one of its lines matches, and not another operator', async () => {
    const op = await w.operator('TH');
    const otherOp = await w.operator('TH');
    const r = await receiver();
    const rOther = await receiver();
    const sub = await subscribe(op.apiKey, r.url, ['watchlist.match']);
    await subscribe(otherOp.apiKey, rOther.url, ['watchlist.match']);
    const scammer = msisdn();
    const indicatorId = await listIndicator(w.deps.db, w.now(), {
      type: 'msisdn',
      value: scammer,
    });
    w.setNow(new Date(w.now().getTime() + RELOAD_MS));
    const line = msisdn();
    const record = cdr({ msisdn: line, otherParty: scammer, startedAt: T });
    const res = await w.request('POST', '/v1/cdrs', {
      key: op.apiKey,
      body: ndjson([record]),
      headers: { 'content-type': 'application/x-ndjson' },
    });
    expect(res.status).toBe(202);
    const got = await firstDelivery(r);
    const event = verify(sub.secret, got);
    expect(event.type).toBe('watchlist.match');
    expect(event.data).toMatchObject({
      rule: 'watchlist_contact',
      msisdn: line,
      indicator: { id: indicatorId, type: 'msisdn', category: 'scam_caller' },
      recordId: record.recordId,
    });
    expect(typeof event.data.alertId).toBe('number');
    expect(got.body).not.toContain('test listing');
    await new Promise((res2) => setTimeout(res2, 300));
    expect(rOther.received).toHaveLength(0);
  });
});

describe('subscriptions', () => {
  it('keeps each organisation to its own webhooks', async () => {
    const a = await bank();
    const b = await bank();
    const sub = await subscribe(a.apiKey, 'http://127.0.0.1:9/a', ['watchlist.account_listed']);
    const listB = await w.request('GET', '/v1/webhooks', { key: b.apiKey });
    expect(((await listB.json()) as { items: unknown[] }).items).toEqual([]);
    for (const [method, path] of [
      ['DELETE', `/v1/webhooks/${sub.id}`],
      ['POST', `/v1/webhooks/${sub.id}/rotate-secret`],
      ['GET', `/v1/webhooks/${sub.id}/deliveries`],
    ] as const) {
      const res = await w.request(method, path, { key: b.apiKey });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    const listA = await w.request('GET', '/v1/webhooks', { key: a.apiKey });
    const items = ((await listA.json()) as { items: Record<string, unknown>[] }).items;
    expect(items).toEqual([
      expect.objectContaining({ id: sub.id, events: ['watchlist.account_listed'] }),
    ]);
    expect(JSON.stringify(items)).not.toContain('whsec_');
    const row = await w.deps.db
      .selectFrom('webhook_subscriptions')
      .select('secret_sealed')
      .where('id', '=', sub.id)
      .executeTakeFirstOrThrow();
    expect(row.secret_sealed).not.toContain(sub.secret.slice(6));
  });

  it('audits creation, rotation and deletion, without the secret', async () => {
    const a = await bank();
    const sub = await subscribe(a.apiKey, 'http://127.0.0.1:9/a', ['watchlist.account_listed']);
    await w.request('POST', `/v1/webhooks/${sub.id}/rotate-secret`, { key: a.apiKey });
    await w.request('DELETE', `/v1/webhooks/${sub.id}`, { key: a.apiKey });
    const rows = await w.deps.db
      .selectFrom('audit_log')
      .select(['action', 'actor_id', 'data'])
      .where('subject_id', '=', sub.id)
      .orderBy('at')
      .orderBy('seq')
      .execute();
    expect(rows.map((r) => r.action)).toEqual([
      'webhook.created',
      'webhook.secret_rotated',
      'webhook.deleted',
    ]);
    expect(rows.every((r) => r.actor_id === a.bankId)).toBe(true);
    expect(JSON.stringify(rows)).not.toContain('whsec_');
  });

  it('refuses events the organisation does not receive, and keys without the scope', async () => {
    const op = await w.operator('TH');
    const res = await w.request('POST', '/v1/webhooks', {
      key: op.apiKey,
      body: { url: 'http://127.0.0.1:9/a', events: ['watchlist.account_listed'] },
    });
    expect(res.status).toBe(400);
    const key = await createApiKey({
      ctx: { db: w.deps.db, actor: 'test', now: w.now() },
      input: { operatorId: op.operatorId, scopes: ['watchlist:read'] },
    });
    const noScope = await w.request('GET', '/v1/webhooks', { key: key.apiKey });
    expect(noScope.status).toBe(403);
    const none = await w.request('GET', '/v1/webhooks');
    expect(none.status).toBe(401);
  });
});
