import { randomBytes } from 'node:crypto';
import type { ConsoleRole } from '../../src/access/roles.js';
import { createUser } from '../../src/access/users.js';
import type { World } from './world.js';

export interface Session {
  userId: string;
  username: string;
  password: string;
  cookie: string;
  csrf: string;
  request(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Response>;
}

/** The `name=value` of the session cookie a response sets, if any. */
export function sessionCookieOf(res: Response): string | undefined {
  for (const c of res.headers.getSetCookie()) {
    const pair = c.split(';')[0] ?? '';
    if (/^(__Host-)?simline_session=./.test(pair)) return pair;
  }
  return undefined;
}

export async function login(
  world: World,
  username: string,
  password: string,
  cookie?: string,
): Promise<Response> {
  return world.request('POST', '/v1/auth/login', {
    body: { username, password },
    headers: cookie ? { cookie } : {},
  });
}

function sessionFrom(
  world: World,
  user: { userId: string; username: string; password: string },
  cookie: string,
  csrf: string,
): Session {
  return {
    ...user,
    cookie,
    csrf,
    request: (method, path, body, headers = {}) =>
      world.request(method, path, {
        body,
        headers: { cookie, 'x-csrf-token': csrf, ...headers },
      }),
  };
}

/** Console sessions that outlive the slowest test file (sign in once in `beforeAll`). */
export const LONG_SESSIONS = {
  CONSOLE_SESSION_IDLE_MINUTES: '100000',
  CONSOLE_SESSION_ABSOLUTE_HOURS: '10000',
} as const;

/** A console user with a chosen password, logged in past the one-time-password change. */
export async function consoleSession(world: World, role: ConsoleRole): Promise<Session> {
  const username = `${role}-${randomBytes(4).toString('hex')}`;
  const created = await createUser({
    ctx: { db: world.deps.db, now: world.now(), actor: 'test' },
    input: { username, role },
  });
  const res = await login(world, username, created.oneTimePassword);
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  const cookie = sessionCookieOf(res);
  if (!cookie) throw new Error('no session cookie');
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  const password = `pw-${randomBytes(12).toString('hex')}`;
  const user = { userId: created.userId, username, password };
  const session = sessionFrom(world, user, cookie, csrfToken);
  const changed = await session.request('POST', '/v1/auth/password', {
    currentPassword: created.oneTimePassword,
    newPassword: password,
  });
  if (changed.status !== 204) throw new Error(`password change failed: ${await changed.text()}`);
  return session;
}

/** A square zone of about `km` km around (lon, lat), as a GeoJSON Polygon. */
export function squareZone(lon: number, lat: number, km = 4) {
  const d = km / 2 / 111;
  return {
    type: 'Polygon',
    coordinates: [
      [
        [lon - d, lat - d],
        [lon + d, lat - d],
        [lon + d, lat + d],
        [lon - d, lat + d],
        [lon - d, lat - d],
      ],
    ],
  };
}
