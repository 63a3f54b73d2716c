import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../src/access/users.js';
import { sha256Hex } from '../../src/platform/crypto.js';
import { consoleSession, login, sessionCookieOf } from '../support/console.js';
import { startServer } from '../support/server.js';
import { createWorld, type World } from '../support/world.js';

const MINUTE = 60_000;
let world: World;

beforeAll(async () => {
  world = await createWorld({
    CONSOLE_SESSION_IDLE_MINUTES: '30',
    CONSOLE_SESSION_ABSOLUTE_HOURS: '12',
    LOGIN_MAX_FAILURES: '5',
    LOGIN_LOCK_MINUTES: '15',
  });
});

afterAll(async () => {
  await world?.close();
});

async function newUser(role: 'officer' | 'approver' = 'officer') {
  const username = `u-${randomBytes(4).toString('hex')}`;
  const created = await createUser({
    ctx: { db: world.deps.db, now: world.now(), actor: 'test' },
    input: { username, role },
  });
  return { username, password: created.oneTimePassword, userId: created.userId };
}

const code = async (res: Response) => ((await res.json()) as { code: string }).code;

describe('passwords', () => {
  it('stores argon2id hashes with OWASP parameters and forces a change of the one-time password', async () => {
    const u = await newUser();
    const row = await world.deps.db
      .selectFrom('console_users')
      .select(['password_hash', 'must_change_password'])
      .where('id', '=', u.userId)
      .executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(row.must_change_password).toBe(true);

    const res = await login(world, u.username, u.password);
    expect(res.status).toBe(200);
    const { csrfToken, mustChangePassword } = (await res.json()) as {
      csrfToken: string;
      mustChangePassword: boolean;
    };
    expect(mustChangePassword).toBe(true);
    const cookie = sessionCookieOf(res) ?? '';
    const blocked = await world.request('GET', '/v1/zones', { headers: { cookie } });
    expect(blocked.status).toBe(403);
    expect(await code(blocked)).toBe('password_change_required');
    const short = await world.request('POST', '/v1/auth/password', {
      headers: { cookie, 'x-csrf-token': csrfToken },
      body: { currentPassword: u.password, newPassword: 'short' },
    });
    expect(short.status).toBe(400);
    const changed = await world.request('POST', '/v1/auth/password', {
      headers: { cookie, 'x-csrf-token': csrfToken },
      body: { currentPassword: u.password, newPassword: 'a long new passphrase' },
    });
    expect(changed.status).toBe(204);
    expect((await world.request('GET', '/v1/zones', { headers: { cookie } })).status).toBe(200);
    expect((await login(world, u.username, u.password)).status).toBe(401);
  });
});

describe('cookies and rotation', () => {
  it('sets an HttpOnly SameSite=Strict cookie, __Host- and Secure behind TLS', async () => {
    const u = await newUser();
    const plain = await login(world, u.username, u.password);
    const plainCookie = plain.headers.getSetCookie().join('\n');
    expect(plainCookie).toMatch(
      /^simline_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict$/,
    );
    const tls = await world.request('POST', '/v1/auth/login', {
      body: { username: u.username, password: u.password },
      headers: { 'x-forwarded-proto': 'https' },
    });
    const tlsCookie = tls.headers.getSetCookie().join('\n');
    expect(tlsCookie).toMatch(
      /^__Host-simline_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; Secure; SameSite=Strict$/,
    );
    const pair = sessionCookieOf(tls) ?? '';
    const overTls = await world.request('GET', '/v1/auth/session', {
      headers: { cookie: pair, 'x-forwarded-proto': 'https' },
    });
    expect(overTls.status).toBe(200);
    const overHttp = await world.request('GET', '/v1/auth/session', { headers: { cookie: pair } });
    expect(overHttp.status).toBe(401);
  });

  it('stores only a SHA-256 of the session id', async () => {
    const s = await consoleSession(world, 'officer');
    const id = s.cookie.split('=')[1] ?? '';
    const rows = await world.deps.db
      .selectFrom('console_sessions')
      .select('id_hash')
      .where('user_id', '=', s.userId)
      .execute();
    expect(rows.map((r) => r.id_hash)).toContain(sha256Hex(id));
    expect(rows.map((r) => r.id_hash)).not.toContain(id);
  });

  it('rotates the session at login and ends the previous one', async () => {
    const s = await consoleSession(world, 'officer');
    const again = await login(world, s.username, s.password, s.cookie);
    const fresh = sessionCookieOf(again);
    expect(fresh).toBeDefined();
    expect(fresh).not.toBe(s.cookie);
    expect((await s.request('GET', '/v1/zones')).status).toBe(401);
    const ok = await world.request('GET', '/v1/zones', { headers: { cookie: fresh ?? '' } });
    expect(ok.status).toBe(200);
  });

  it('ends the session at logout', async () => {
    const s = await consoleSession(world, 'officer');
    expect((await s.request('POST', '/v1/auth/logout')).status).toBe(204);
    expect((await s.request('GET', '/v1/zones')).status).toBe(401);
  });
});

describe('CSRF', () => {
  it('refuses writes with a session but without the right token, and allows reads', async () => {
    const s = await consoleSession(world, 'officer');
    const zone = { name: 'z', riskLevel: 'low', geometry: { type: 'Point', coordinates: [0, 0] } };
    const none = await world.request('POST', '/v1/zones', {
      body: zone,
      headers: { cookie: s.cookie },
    });
    expect(none.status).toBe(403);
    expect(await code(none)).toBe('csrf_failed');
    const other = await consoleSession(world, 'officer');
    const wrong = await s.request('POST', '/v1/zones', zone, { 'x-csrf-token': other.csrf });
    expect(await code(wrong)).toBe('csrf_failed');
    const logout = await world.request('POST', '/v1/auth/logout', {
      headers: { cookie: s.cookie },
    });
    expect(logout.status).toBe(403);
    expect(
      (await world.request('GET', '/v1/zones', { headers: { cookie: s.cookie } })).status,
    ).toBe(200);
    const right = await s.request('POST', '/v1/zones', zone);
    expect(await code(right)).toBe('validation_failed');
  });
});

describe('timeouts', () => {
  it('expires a session idle for longer than the idle timeout', async () => {
    const s = await consoleSession(world, 'officer');
    const start = world.now();
    try {
      world.setNow(new Date(start.getTime() + 29 * MINUTE));
      expect((await s.request('GET', '/v1/zones')).status).toBe(200);
      world.setNow(new Date(start.getTime() + 58 * MINUTE));
      expect((await s.request('GET', '/v1/zones')).status).toBe(200);
      world.setNow(new Date(start.getTime() + 89 * MINUTE));
      const res = await s.request('GET', '/v1/zones');
      expect(res.status).toBe(401);
      expect(await code(res)).toBe('session_expired');
      world.setNow(new Date(start.getTime() + 90 * MINUTE));
      expect(await code(await s.request('GET', '/v1/zones'))).toBe('unauthorized');
    } finally {
      world.setNow(start);
    }
  });

  it('expires an active session at the absolute timeout', async () => {
    const s = await consoleSession(world, 'officer');
    const start = world.now();
    try {
      for (let m = 20; m < 12 * 60; m += 20) {
        world.setNow(new Date(start.getTime() + m * MINUTE));
        expect((await s.request('GET', '/v1/auth/session')).status).toBe(200);
      }
      world.setNow(new Date(start.getTime() + 12 * 60 * MINUTE + 1000));
      expect(await code(await s.request('GET', '/v1/auth/session'))).toBe('session_expired');
    } finally {
      world.setNow(start);
    }
  });
});

describe('login throttling', () => {
  it('locks a username after 5 failures for 15 minutes, even for the right password', async () => {
    const u = await newUser();
    for (let i = 0; i < 5; i++) {
      const res = await login(world, u.username, 'wrong password');
      expect(res.status).toBe(401);
      expect(await code(res)).toBe('invalid_credentials');
    }
    const locked = await login(world, u.username, u.password);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBe(15 * 60);
    expect(await code(locked)).toBe('login_throttled');
    const start = world.now();
    try {
      world.setNow(new Date(start.getTime() + 16 * MINUTE));
      expect((await login(world, u.username, u.password)).status).toBe(200);
    } finally {
      world.setNow(start);
    }
  });

  it('counts parallel guesses before checking them: at most 5 are ever checked', async () => {
    const u = await newUser();
    const codes = await Promise.all(
      Array.from({ length: 12 }, async () => code(await login(world, u.username, 'guess'))),
    );
    expect(codes.filter((c) => c === 'invalid_credentials')).toHaveLength(5);
    expect(codes.filter((c) => c === 'login_throttled')).toHaveLength(7);
  });

  it('answers unknown usernames like wrong passwords, and throttles them too', async () => {
    const ghost = `ghost-${randomBytes(3).toString('hex')}`;
    for (let i = 0; i < 5; i++)
      expect(await code(await login(world, ghost, 'x'))).toBe('invalid_credentials');
    expect(await code(await login(world, ghost, 'x'))).toBe('login_throttled');
  });
});

describe('login throttling per client address', () => {
  it('locks an address that fails on many usernames, even for a valid account', async () => {
    const w = await createWorld({ LOGIN_MAX_FAILURES_PER_ADDRESS: '3' });
    const server = await startServer(w);
    try {
      const u = await createUser({
        ctx: { db: w.deps.db, now: w.now(), actor: 'test' },
        input: { username: `valid-${randomBytes(3).toString('hex')}`, role: 'officer' },
      });
      const attempt = async (username: string, password: string) => {
        const res = await fetch(`${server.url}/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username, password }),
        });
        return ((await res.json()) as { code?: string }).code ?? String(res.status);
      };
      for (const name of ['alice', 'bob', 'carol'])
        expect(await attempt(name, 'Summer2026!')).toBe('invalid_credentials');
      expect(await attempt(u.username, u.oneTimePassword)).toBe('login_throttled');
    } finally {
      await server.close();
      await w.close();
    }
  });

  it('counts only failures against an address, and never an address-refused attempt against a user', async () => {
    const w = await createWorld({ LOGIN_MAX_FAILURES_PER_ADDRESS: '3', TRUST_PROXY: 'true' });
    try {
      const users = [];
      for (let i = 0; i < 2; i++) {
        const u = await createUser({
          ctx: { db: w.deps.db, now: w.now(), actor: 'test' },
          input: { username: `proxy-${i}-${randomBytes(3).toString('hex')}`, role: 'officer' },
        });
        users.push(u);
      }
      const from = async (address: string, username: string, password: string) => {
        const res = await w.request('POST', '/v1/auth/login', {
          body: { username, password },
          headers: { 'x-forwarded-for': address },
        });
        return res.status === 200 ? '200' : code(res);
      };
      const [a, b] = users as [(typeof users)[number], (typeof users)[number]];
      // Many good logins through one proxy address lock nothing.
      for (let i = 0; i < 6; i++)
        expect(await from('203.0.113.20', a.username, a.oneTimePassword)).toBe('200');
      // Three failures lock the address; b's attempts from there are refused without counting
      // against b, who logs in from elsewhere at once.
      for (const name of ['x1', 'x2', 'x3'])
        expect(await from('203.0.113.21', name, 'nope')).toBe('invalid_credentials');
      for (let i = 0; i < 6; i++)
        expect(await from('203.0.113.21', b.username, 'wrong')).toBe('login_throttled');
      expect(await from('198.51.100.22', b.username, b.oneTimePassword)).toBe('200');
    } finally {
      await w.close();
    }
  });

  it('uses the first X-Forwarded-For entry only when the proxy is trusted', async () => {
    const w = await createWorld({ LOGIN_MAX_FAILURES_PER_ADDRESS: '2', TRUST_PROXY: 'true' });
    try {
      const from = async (address: string, username: string) =>
        code(
          await w.request('POST', '/v1/auth/login', {
            body: { username, password: 'x' },
            headers: { 'x-forwarded-for': `${address}, 10.0.0.1` },
          }),
        );
      expect(await from('203.0.113.7', 'a1')).toBe('invalid_credentials');
      expect(await from('203.0.113.7', 'a2')).toBe('invalid_credentials');
      expect(await from('203.0.113.7', 'a3')).toBe('login_throttled');
      expect(await from('198.51.100.9', 'a4')).toBe('invalid_credentials');
    } finally {
      await w.close();
    }
  });
});
