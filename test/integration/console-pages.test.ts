import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mountConsole } from '../../src/console/pages.js';
import { createApp } from '../../src/platform/http/app.js';
import { consoleSession, type Session, squareZone } from '../support/console.js';
import { createWorld, type World } from '../support/world.js';

let world: World;
let officer: Session;
let auditor: Session;

beforeAll(async () => {
  world = await createWorld();
  officer = await consoleSession(world, 'officer');
  auditor = await consoleSession(world, 'auditor');
});
afterAll(async () => {
  await world?.close();
});

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

describe('console pages', () => {
  it('send visitors without a session to the login page, and expired sessions with a notice', async () => {
    const res = await world.request('GET', '/console/orders');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/console/login');
    const s = await consoleSession(world, 'officer');
    const start = world.now();
    try {
      world.setNow(new Date(start.getTime() + 31 * 60_000));
      const expired = await world.request('GET', '/console', { headers: { cookie: s.cookie } });
      expect(expired.headers.get('location')).toBe('/console/login?expired=1');
      const page = await world.request('GET', '/console/login?expired=1');
      expect(await page.text()).toContain('Your session has expired');
    } finally {
      world.setNow(start);
    }
  });

  it('show a friendly error for a wrong password, and lock-outs too', async () => {
    const res = await world.request('POST', '/console/login', {
      body: form({ username: officer.username, password: 'nope' }),
      headers: FORM,
    });
    expect(res.status).toBe(401);
    const html = await res.text();
    expect(html).toContain('the username or password is wrong');
    expect(html).toContain(`value="${officer.username}"`);
  });

  it('refuse a login form posted from another site', async () => {
    const res = await world.request('POST', '/console/login', {
      body: form({ username: officer.username, password: officer.password }),
      headers: { ...FORM, 'sec-fetch-site': 'cross-site' },
    });
    expect(res.status).toBe(403);
    expect(res.headers.getSetCookie()).toEqual([]);
  });

  it('refuse a form without the CSRF field, and accept it with the field', async () => {
    const fields = {
      name: 'Form zone',
      riskLevel: 'high',
      geojson: JSON.stringify(squareZone(101, 13)),
    };
    const forged = await world.request('POST', '/console/zones', {
      body: form(fields),
      headers: { ...FORM, cookie: officer.cookie },
    });
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain('This form has expired or did not come from the console');
    const ok = await world.request('POST', '/console/zones', {
      body: form({ ...fields, _csrf: officer.csrf }),
      headers: { ...FORM, cookie: officer.cookie },
    });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toMatch(/^\/console\/zones\/zone_.+\?created=1$/);
  });

  it('show validation errors next to the form it came from', async () => {
    const res = await world.request('POST', '/console/zones', {
      body: form({
        name: 'Bad',
        riskLevel: 'high',
        geojson: '{"type":"Point"}',
        _csrf: officer.csrf,
      }),
      headers: { ...FORM, cookie: officer.cookie },
    });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('invalid zone');
    expect(html).toMatch(/<code>geometry[^<]*<\/code>/);
    const draft = await world.request('POST', '/console/orders', {
      body: form({
        intent: 'save',
        zoneId: 'zone_missing',
        measure: 'full_suspension',
        _csrf: officer.csrf,
      }),
      headers: { ...FORM, cookie: officer.cookie },
    });
    expect(draft.status).toBe(400);
    expect(await draft.text()).toContain('written reasons are required');
  });

  it('check an order form with the contract schema the API uses, naming each field', async () => {
    const draft = await world.request('POST', '/console/orders', {
      body: form({
        intent: 'save',
        zoneId: '',
        measure: 'full_suspension',
        services: 'sms',
        exemptCells: 'c'.repeat(65),
        legalBasis: 'x'.repeat(2001),
        reasons: 'A written reason long enough to pass.',
        _csrf: officer.csrf,
      }),
      headers: { ...FORM, cookie: officer.cookie },
    });
    expect(draft.status).toBe(400);
    const html = await draft.text();
    expect(html).toContain('<code>zoneId</code>');
    expect(html).toContain('<code>exemptCells.0</code>');
    expect(html).toContain('<code>legalBasis</code>');
  });

  it('redraw a zone as a new version, and keep the old one on error', async () => {
    const created = await officer.request('POST', '/v1/zones', {
      name: 'Redrawn',
      riskLevel: 'medium',
      geometry: squareZone(100.5, 13.5),
    });
    const { id } = (await created.json()) as { id: string };
    const bad = await world.request('POST', `/console/zones/${id}/versions`, {
      body: form({ name: 'Redrawn', riskLevel: 'high', geojson: 'not json', _csrf: officer.csrf }),
      headers: { ...FORM, cookie: officer.cookie },
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('Redraw as version 2');
    const ok = await world.request('POST', `/console/zones/${id}/versions`, {
      body: form({
        name: 'Redrawn wider',
        riskLevel: 'high',
        geojson: JSON.stringify({ type: 'Feature', geometry: squareZone(100.5, 13.5, 8) }),
        _csrf: officer.csrf,
      }),
      headers: { ...FORM, cookie: officer.cookie },
    });
    expect(ok.status).toBe(303);
    const zone = (await (await officer.request('GET', `/v1/zones/${id}`)).json()) as {
      version: number;
      name: string;
    };
    expect(zone).toMatchObject({ version: 2, name: 'Redrawn wider' });
  });

  it('amend an issued order from its form, sending only what changed', async () => {
    const approver = await consoleSession(world, 'approver');
    const op = await world.operator('TH', 'Amend Mobile');
    const z = await officer.request('POST', '/v1/zones', {
      name: 'Amend zone',
      riskLevel: 'high',
      geometry: squareZone(99, 12),
    });
    const zoneId = ((await z.json()) as { id: string }).id;
    const startsAt = new Date(world.now().getTime() + 3_600_000);
    const endsAt = new Date(startsAt.getTime() + 3 * 86_400_000);
    const d = await officer.request('POST', '/v1/suspension-orders', {
      zoneId,
      measure: 'power_reduction',
      services: ['data'],
      operatorIds: [op.operatorId],
      startsAt: startsAt.toISOString(),
      endsAt: endsAt.toISOString(),
      legalBasis: 'Act s.77',
      reasons: 'Compound relocated here according to the police report.',
    });
    const { id } = (await d.json()) as { id: string };
    await officer.request('POST', `/v1/suspension-orders/${id}/submit`);
    await approver.request('POST', `/v1/suspension-orders/${id}/approve`);

    const page = await world.request('GET', `/console/orders/${id}/amend`, {
      headers: { cookie: approver.cookie },
    });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Impact preview');
    const newEnd = new Date(endsAt.getTime() + 86_400_000).toISOString().slice(0, 16);
    const body = new URLSearchParams({
      intent: 'save',
      zoneId,
      measure: 'power_reduction',
      services: 'data',
      operatorIds: op.operatorId,
      startsAt: startsAt.toISOString().slice(0, 16),
      endsAt: newEnd,
      legalBasis: 'Act s.77',
      reasons: 'Compound relocated here according to the police report.',
      exemptCells: '',
      coverage: 'inside',
      _csrf: approver.csrf,
    });
    const res = await world.request('POST', `/console/orders/${id}/amend`, {
      body: body.toString(),
      headers: { ...FORM, cookie: approver.cookie },
    });
    expect(res.status).toBe(303);
    const newId = (res.headers.get('location') ?? '').split('/').pop()?.split('?')[0] ?? '';
    const v2 = (await (await approver.request('GET', `/v1/suspension-orders/${newId}`)).json()) as {
      version: number;
      amendsId: string;
      endsAt: string;
      status: string;
    };
    expect(v2).toMatchObject({ version: 2, amendsId: id, status: 'pending_approval' });
    expect(v2.endsAt).toBe(`${newEnd}:00.000Z`);
    const detail = await world.request('GET', `/console/orders/${newId}`, {
      headers: { cookie: officer.cookie },
    });
    const html = await detail.text();
    expect(html).toContain(`Amends <a href="/console/orders/${id}">version 1</a>`);
    expect(html).toContain('0 cell(s) added, 0 removed');
    const audit = await world.deps.db
      .selectFrom('audit_log')
      .select('data')
      .where('subject_id', '=', newId)
      .where('action', '=', 'order.amendment_drafted')
      .executeTakeFirstOrThrow();
    expect((audit.data as { changed: string[] }).changed).toEqual(['endsAt']);
  });

  it('list active orders and overdue operators on the dashboard', async () => {
    const approver = await consoleSession(world, 'approver');
    const op = await world.operator('TH', 'Late Mobile');
    const z = await officer.request('POST', '/v1/zones', {
      name: 'Dashboard zone',
      riskLevel: 'high',
      geometry: squareZone(98, 11),
    });
    const zoneId = ((await z.json()) as { id: string }).id;
    const d = await officer.request('POST', '/v1/suspension-orders', {
      zoneId,
      measure: 'full_suspension',
      services: ['voice'],
      operatorIds: [op.operatorId],
      startsAt: new Date(world.now().getTime() + 3_600_000).toISOString(),
      endsAt: new Date(world.now().getTime() + 5 * 86_400_000).toISOString(),
      legalBasis: 'Act s.77',
      reasons: 'Compound confirmed by police; calls traced to this zone.',
    });
    const { id, reference } = (await d.json()) as { id: string; reference: string };
    await officer.request('POST', `/v1/suspension-orders/${id}/submit`);
    await approver.request('POST', `/v1/suspension-orders/${id}/approve`);
    const start = world.now();
    try {
      world.setNow(new Date(start.getTime() + 25 * 3_600_000));
      const fresh = await consoleSession(world, 'auditor');
      const res = await world.request('GET', '/console', { headers: { cookie: fresh.cookie } });
      const html = await res.text();
      const section = (id: string) =>
        html.slice(
          html.indexOf(`id="${id}"`),
          html.indexOf('</section>', html.indexOf(`id="${id}"`)),
        );
      expect(section('active-orders')).toContain(reference);
      expect(section('overdue-operators')).toContain('Late Mobile');
      expect(section('upcoming-orders')).not.toContain(reference);
      expect(section('reviews-due')).not.toContain(reference);
      world.setNow(new Date(start.getTime() + 4.5 * 86_400_000));
      const later = await consoleSession(world, 'auditor');
      const soon = await (
        await world.request('GET', '/console', { headers: { cookie: later.cookie } })
      ).text();
      const reviews = soon.slice(soon.indexOf('id="reviews-due"'));
      expect(reviews.slice(0, reviews.indexOf('</section>'))).toContain(reference);

      const reviewer = await consoleSession(world, 'approver');
      const res2 = await world.request('POST', `/console/orders/${id}/review`, {
        body: form({ note: 'Committee confirms the order is still needed.', _csrf: reviewer.csrf }),
        headers: { ...FORM, cookie: reviewer.cookie },
      });
      expect(res2.status).toBe(303);
      const detail = await (
        await world.request('GET', `/console/orders/${id}`, {
          headers: { cookie: reviewer.cookie },
        })
      ).text();
      expect(detail).toContain('Committee confirms the order is still needed.');
      expect(detail).not.toContain('Record review');
    } finally {
      world.setNow(start);
    }
  });

  it('give auditors read-only pages without forms that change anything', async () => {
    const zones = await world.request('GET', '/console/zones', {
      headers: { cookie: auditor.cookie },
    });
    expect(zones.status).toBe(200);
    expect(await zones.text()).not.toContain('Create zone');
    const draft = await world.request('GET', '/console/orders/new', {
      headers: { cookie: auditor.cookie },
    });
    expect(draft.status).toBe(403);
  });

  it('serve their stylesheet themselves and forbid framing and foreign resources', async () => {
    const page = await world.request('GET', '/console', { headers: { cookie: officer.cookie } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).not.toMatch(/(src|href)="https?:/);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    const css = await world.request('GET', '/console/assets/console.css');
    expect(css.headers.get('content-type')).toContain('text/css');
  });
});

describe('dashboard panels from other domains', () => {
  it('render on the dashboard with the request user and time', async () => {
    const app = createApp(world.deps);
    mountConsole(app, {
      dashboardPanels: [
        {
          title: 'Recent scorer alerts',
          render: async ({ user, now }) => `for ${user.username} at ${now.toISOString()}`,
        },
      ],
    });
    const res = await app.request('/console', { headers: { cookie: officer.cookie } });
    const html = await res.text();
    expect(html).toContain('<h2>Recent scorer alerts</h2>');
    expect(html).toContain(`for ${officer.username} at ${world.now().toISOString()}`);
  });
});

describe('every console and operator route', () => {
  it('refuses requests without credentials, and session routes refuse writes without CSRF', async () => {
    const doc = (await (await world.request('GET', '/openapi.json')).json()) as {
      paths: Record<string, Record<string, { security?: Record<string, unknown>[] }>>;
    };
    const checked: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const scheme = Object.keys(op.security?.[0] ?? {})[0];
        if (scheme !== 'consoleSession' && !path.startsWith('/v1/operator/')) continue;
        const url = path.replace(/\{[^}]+\}/g, 'x_missing');
        const body = method === 'get' ? undefined : {};
        const anonymous = await world.request(method.toUpperCase(), url, { body });
        expect(anonymous.status, `${method} ${path}`).toBe(401);
        if (scheme === 'consoleSession' && method !== 'get') {
          const noCsrf = await world.request(method.toUpperCase(), url, {
            body: {},
            headers: { cookie: officer.cookie },
          });
          expect(await noCsrf.json(), `${method} ${path}`).toMatchObject({ code: 'csrf_failed' });
        }
        checked.push(`${method} ${path}`);
      }
    }
    expect(checked.length).toBeGreaterThanOrEqual(20);
  });
});
