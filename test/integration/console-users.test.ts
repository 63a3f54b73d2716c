import { afterAll, beforeAll, expect, it } from 'vitest';
import { consoleSession, login, type Session } from '../support/console.js';
import { createWorld, type World } from '../support/world.js';

let world: World;
let admin: Session;

beforeAll(async () => {
  world = await createWorld();
  admin = await consoleSession(world, 'admin');
});
afterAll(async () => {
  await world?.close();
});

it('lets admins create users with a one-time password and nobody else', async () => {
  const res = await admin.request('POST', '/v1/users', {
    username: 'Noi.Approver',
    role: 'approver',
  });
  expect(res.status).toBe(201);
  const created = (await res.json()) as {
    userId: string;
    username: string;
    oneTimePassword: string;
  };
  expect(created.username).toBe('noi.approver');
  const first = await login(world, 'noi.approver', created.oneTimePassword);
  expect(await first.json()).toMatchObject({ role: 'approver', mustChangePassword: true });

  const officer = await consoleSession(world, 'officer');
  const denied = await officer.request('POST', '/v1/users', { username: 'x-user', role: 'admin' });
  expect(denied.status).toBe(403);
  expect((await officer.request('GET', '/v1/users')).status).toBe(403);
  const auditor = await consoleSession(world, 'auditor');
  const list = await auditor.request('GET', '/v1/users');
  const names = ((await list.json()) as { users: { username: string }[] }).users.map(
    (u) => u.username,
  );
  expect(names).toContain('noi.approver');
  const dup = await admin.request('POST', '/v1/users', {
    username: 'noi.approver',
    role: 'officer',
  });
  expect(dup.status).toBe(409);
});

it('disables a user, ending their sessions, but never the admin themself', async () => {
  const target = await consoleSession(world, 'officer');
  expect((await target.request('GET', '/v1/zones')).status).toBe(200);
  const res = await admin.request('POST', `/v1/users/${target.userId}/disable`);
  expect(res.status).toBe(204);
  expect((await target.request('GET', '/v1/zones')).status).toBe(401);
  expect((await login(world, target.username, target.password)).status).toBe(401);
  const self = await admin.request('POST', `/v1/users/${admin.userId}/disable`);
  expect(self.status).toBe(409);
  const again = await admin.request('POST', `/v1/users/${target.userId}/disable`);
  expect(again.status).toBe(409);
});

it('shows the one-time password once on the users page', async () => {
  const res = await world.request('POST', '/console/users', {
    body: new URLSearchParams({
      username: 'page-made',
      role: 'auditor',
      _csrf: admin.csrf,
    }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: admin.cookie },
  });
  expect(res.status).toBe(201);
  const html = await res.text();
  const password = /<code>([A-Za-z0-9_-]{20})<\/code>/.exec(html)?.[1];
  expect(password).toBeDefined();
  expect((await login(world, 'page-made', password ?? '')).status).toBe(200);
  const again = await world.request('GET', '/console/users', { headers: { cookie: admin.cookie } });
  expect(await again.text()).not.toContain(password ?? '');
});
