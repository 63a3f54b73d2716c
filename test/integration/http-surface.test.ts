import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cdr } from '../support/cdrs.js';
import { startServer } from '../support/server.js';
import { createWorld, type World } from '../support/world.js';

let w: World;
let op: { operatorId: string; apiKey: string };
type OpenApi = {
  openapi: string;
  paths: Record<
    string,
    Record<
      string,
      {
        operationId?: string;
        security?: unknown[];
        parameters?: unknown[];
        requestBody?: unknown;
        responses: Record<string, unknown>;
      }
    >
  >;
};
let doc: OpenApi;

beforeAll(async () => {
  w = await createWorld();
  op = await w.operator('TH');
  doc = (await (await w.request('GET', '/openapi.json')).json()) as OpenApi;
});
afterAll(() => w.close());

const operations = () =>
  Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, spec]) => ({ path, method, spec })),
  );

/** A concrete URL for a templated path, e.g. /v1/registrations/{msisdn}. */
const concrete = (path: string) => path.replace(/\{[^}]+\}/g, encodeURIComponent('+66811111111'));

describe('OpenAPI document and docs page', () => {
  it('is OpenAPI 3.1 and every operation has an id and documents its errors', () => {
    expect(doc.openapi).toBe('3.1.0');
    const ops = operations();
    expect(ops.length).toBeGreaterThanOrEqual(6);
    for (const { path, method, spec } of ops) {
      expect(spec.operationId, `${method} ${path}`).toBeTruthy();
      const scheme = Object.keys((spec.security?.[0] ?? {}) as object)[0];
      /** 400 wherever there is input to validate. */
      const hasInput = (spec.parameters?.length ?? 0) > 0 || spec.requestBody !== undefined;
      if (scheme === 'operatorKey') {
        expect(Object.keys(spec.responses), `${method} ${path}`).toEqual(
          expect.arrayContaining([...(hasInput ? ['400'] : []), '401', '403', '429']),
        );
      }
      /** Console sessions: 401 without one; writes also 403 (CSRF, role, one-time password). */
      if (scheme === 'consoleSession') {
        const codes = method === 'get' ? ['401'] : ['401', '403'];
        expect(Object.keys(spec.responses), `${method} ${path}`).toEqual(
          expect.arrayContaining(codes),
        );
      }
    }
    expect(Object.keys(doc.paths['/v1/registrations']?.post?.responses ?? {})).toEqual(
      expect.arrayContaining(['201', '400', '401', '409', '422', '429']),
    );
  });

  it('names the session cookie under both its names, and every body limit', async () => {
    const full = (await (await w.request('GET', '/openapi.json')).json()) as OpenApi & {
      components: { securitySchemes: Record<string, { in?: string; name?: string }> };
    };
    const schemes = full.components.securitySchemes;
    expect(schemes.consoleSession).toMatchObject({ in: 'cookie', name: '__Host-simline_session' });
    expect(schemes.consoleSessionPlainHttp).toMatchObject({
      in: 'cookie',
      name: 'simline_session',
    });
    for (const { path, method, spec } of operations()) {
      const names = (spec.security ?? []).flatMap((s) => Object.keys(s as object));
      if (names.includes('consoleSession'))
        expect(names, `${method} ${path}`).toContain('consoleSessionPlainHttp');
    }
    const limitOf = (path: string, method: string) =>
      (
        full.paths[path]?.[method]?.requestBody as {
          'x-max-body-bytes'?: number;
          description?: string;
        }
      )?.['x-max-body-bytes'];
    expect(limitOf('/v1/registrations', 'post')).toBe(1024 * 1024);
    expect(limitOf('/v1/cdrs', 'post')).toBeGreaterThan(1024 * 1024);
    expect(limitOf('/v1/operator/cells', 'put')).toBe(16 * 1024 * 1024);
    for (const { path, method, spec } of operations())
      if (spec.requestBody !== undefined)
        expect(
          (spec.requestBody as { description?: string }).description,
          `${method} ${path}`,
        ).toMatch(/At most \d+ bytes/);
  });

  it('documents the constraints the verbs check beyond the route schemas', async () => {
    const full = (await (await w.request('GET', '/openapi.json')).json()) as {
      components: {
        schemas: Record<string, { properties: Record<string, Record<string, unknown>> }>;
      };
    };
    const schemas = full.components.schemas;
    const cells = schemas.CellsUpload?.properties.cells as
      | { items: { properties: Record<string, unknown> } }
      | undefined;
    const cell = cells?.items.properties ?? {};
    expect(cell.cellId).toMatchObject({ pattern: '^[A-Za-z0-9._:-]{1,64}$' });
    expect(cell.lat).toMatchObject({ minimum: -90, maximum: 90 });
    expect(cell.lon).toMatchObject({ minimum: -180, maximum: 180 });
    expect(cell.rangeM).toMatchObject({ type: 'integer', minimum: 0, maximum: 100_000 });
    const radio = new RegExp((cell.radio as { pattern: string }).pattern);
    for (const ok of ['LTE', 'lte', 'Nr', 'gsm']) expect(radio.test(ok), ok).toBe(true);
    expect(radio.test('cdma')).toBe(false);
    expect(schemas.CellsUpload?.properties.cells).toMatchObject({ maxItems: 100_000 });
    expect(schemas.OrderDraft?.properties.reasons).toMatchObject({ minLength: 20 });
    expect(schemas.OrderDraft?.properties.legalBasis).toMatchObject({ pattern: '\\S' });
    expect(schemas.OrderDraft?.properties.services).toMatchObject({ uniqueItems: true });
    expect(schemas.PasswordChange?.properties.newPassword).toMatchObject({
      minLength: 12,
      maxLength: 256,
    });
  });

  it('serves a docs page whose assets come from this server, under a strict CSP', async () => {
    const page = await w.request('GET', '/docs');
    const csp = page.headers.get('content-security-policy') ?? '';
    for (const directive of [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "frame-ancestors 'none'",
    ])
      expect(csp).toContain(directive);
    expect(csp).not.toContain('unsafe');
    const html = await page.text();
    expect(html).toContain('/docs/assets/swagger-ui-bundle.js');
    /** An inline tab icon: the page asks for no /favicon.ico, which does not exist. */
    expect(html).toContain('<link rel="icon" href="data:,">');
    expect(html).not.toMatch(/https?:\/\//);
    const js = await w.request('GET', '/docs/assets/swagger-ui-bundle.js');
    expect(js.status).toBe(200);
    expect((await js.text()).length).toBeGreaterThan(100_000);
  });
});

describe('headers on every response', () => {
  it('says X-Content-Type-Options: nosniff on pages, assets, errors and 404s', async () => {
    const responses = [
      await w.request('GET', '/healthz'),
      await w.request('GET', '/openapi.json'),
      await w.request('GET', '/docs'),
      await w.request('GET', '/docs/assets/swagger-ui.css'),
      await w.request('GET', '/docs/assets/nope.js'),
      await w.request('GET', '/console/login'),
      await w.request('GET', '/console/assets/console.css'),
      await w.request('GET', '/nope'),
      await w.request('GET', '/v1/alerts'),
      await w.request('DELETE', '/healthz'),
      await w.request('POST', '/v1/auth/login', { body: '{' }),
      await w.request('GET', '/metrics'),
    ];
    for (const res of responses)
      expect(res.headers.get('x-content-type-options'), `${res.status} ${res.url}`).toBe('nosniff');
  });
});

describe('shared security checks, generated for every secured operation', () => {
  it('refuses no key, a malformed key and an unknown key with 401 problem+json', async () => {
    const secured = operations().filter((o) => o.spec.security);
    expect(secured.length).toBeGreaterThanOrEqual(4);
    for (const { path, method } of secured) {
      for (const key of [
        undefined,
        'not-a-key',
        'slk_000000000000_wrongwrongwrongwrongwrongwrong',
      ]) {
        const res = await w.request(method.toUpperCase(), concrete(path), {
          key,
          body: method === 'get' ? undefined : {},
          headers: { 'idempotency-key': 'k' },
        });
        expect(res.status, `${method} ${path} key=${key}`).toBe(401);
        /** The TAXII server answers TAXII error objects, with the same stable code. */
        const taxii = path.startsWith('/taxii2/');
        expect(res.headers.get('content-type')).toContain(
          taxii ? 'application/taxii+json' : 'application/problem+json',
        );
        const body = (await res.json()) as { code?: string; error_code?: string };
        expect(taxii ? body.error_code : body.code).toBe('unauthorized');
      }
    }
  });
});

describe('platform endpoints', () => {
  it('health, readiness, metrics and request ids', async () => {
    expect((await w.request('GET', '/healthz')).status).toBe(200);
    const ready = await w.request('GET', '/readyz');
    expect(await ready.json()).toEqual({ status: 'ready', database: 'ok', migrations: 'ok' });
    await w.request('GET', '/v1/registrations/+66800000000', { key: op.apiKey });
    const res = await w.request('GET', '/healthz', { headers: { 'x-request-id': 'abc-123' } });
    expect(res.headers.get('x-request-id')).toBe('abc-123');
    const metrics = await (await w.request('GET', '/metrics')).text();
    expect(metrics).toMatch(
      /simline_http_requests_total\{method="GET",route="\/v1\/registrations\/:msisdn",status="404"\} 1/,
    );
    expect(metrics).toContain('simline_http_request_duration_seconds_bucket');
  });

  it('answers unknown routes and internal errors as problem+json without internals', async () => {
    const res = await w.request('GET', '/nope');
    expect(res.status).toBe(404);
    expect(((await res.json()) as { code: string }).code).toBe('not_found');
  });

  it('answers a known path with another method 405 naming the allowed ones', async () => {
    const res = await w.request('DELETE', '/v1/registrations/%2B66811111111', { key: op.apiKey });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET');
    expect(((await res.json()) as { code: string }).code).toBe('method_not_allowed');
  });

  it('refuses NUL characters in text as a 400, not a 500, and stores nothing', async () => {
    const res = await w.request('POST', '/v1/registrations/%2B66811111111/deregister', {
      key: op.apiKey,
      body: '{"reason":"lost\u0000phone"}',
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(((await res.json()) as { code: string }).code).toBe('bad_request');
  });

  it('refuses lone UTF-16 surrogates in JSON as a 400 in every domain, and takes pairs', async () => {
    const lone = [
      ['/v1/registrations/%2B66811111111/deregister', '{"reason":"customer \\ud800"}', op.apiKey],
      ['/v1/auth/login', '{"username":"x\\udc00","password":"abcdefghijkl"}', undefined],
      ['/v1/registrations/%2B66811111111/deregister', '{"reason\\ud800":"x"}', op.apiKey],
    ] as const;
    for (const [path, body, key] of lone) {
      const res = await w.request('POST', path, { key, body });
      expect(res.status, body).toBe(400);
      expect(((await res.json()) as { code: string }).code).toBe('bad_request');
    }
    const pair = await w.request('POST', '/v1/registrations/%2B66811111111/deregister', {
      key: op.apiKey,
      body: '{"reason":"lost \\ud83d\\udcf1 and \\\\ud800 as text"}',
    });
    expect(pair.status).toBe(404);
  });

  it('refuses a text body that is not UTF-8, naming where, instead of storing U+FFFD', async () => {
    const post = (path: string, type: string, body: Uint8Array) =>
      w.app.request(path, {
        method: 'POST',
        headers: { authorization: `Bearer ${op.apiKey}`, 'content-type': type },
        body,
      });
    const bytes = (...parts: (string | number[])[]) =>
      Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
    const json = await post(
      '/v1/registrations/%2B66811111111/deregister',
      'application/json',
      bytes('{"reason":"lost ', [0xc3, 0x28], '"}'),
    );
    expect(json.status).toBe(400);
    expect(json.headers.get('content-type')).toContain('application/problem+json');
    expect(await json.json()).toMatchObject({
      code: 'invalid_utf8',
      detail: expect.stringContaining('byte 0xc3 at offset 16 (line 1)'),
    });
    // A CDR batch: the line is named, and no record of it is scored.
    const line = JSON.stringify(cdr({ msisdn: '+66811110001', cellId: 'CELL-X' }));
    const [head, tail] = line.split('CELL-X') as [string, string];
    const ndjsonBody = bytes(
      `${JSON.stringify(cdr({ msisdn: '+66811110001' }))}\n`,
      head,
      'CELL-',
      [0xe0, 0x80, 0x80],
      tail,
      '\n',
    );
    const cdrs = await post('/v1/cdrs', 'application/x-ndjson', ndjsonBody);
    expect(cdrs.status).toBe(400);
    expect(((await cdrs.json()) as { detail: string; code: string }).detail).toContain('(line 2)');
    // Well-formed UTF-8, including U+FFFD itself and a declared charset=UTF-8, passes through.
    const fine = await post(
      '/v1/registrations/%2B66811111111/deregister',
      'application/json; charset="UTF-8"',
      bytes('{"reason":"lost \u{fffd} ☎"}'),
    );
    expect(fine.status).toBe(404);
  });

  it('refuses a text body in a charset other than UTF-8 with 415 naming it', async () => {
    const cases = [
      ['/v1/registrations/%2B66811111111/deregister', 'application/json; charset=utf-16'],
      ['/v1/registrations/%2B66811111111/deregister', 'application/json;charset="ISO-8859-1"'],
      ['/v1/cdrs', 'application/x-ndjson; charset=UTF-16LE'],
    ] as const;
    for (const [path, type] of cases) {
      const charset = /charset="?([^";]+)/.exec(type)?.[1]?.toLowerCase() ?? '';
      const res = await w.app.request(path, {
        method: 'POST',
        headers: { authorization: `Bearer ${op.apiKey}`, 'content-type': type },
        body: Buffer.from('{"reason":"lost"}', charset === 'utf-16' ? 'utf16le' : 'latin1'),
      });
      expect(res.status, type).toBe(415);
      expect(await res.json()).toMatchObject({
        code: 'unsupported_media_type',
        detail: expect.stringContaining(`charset=${charset}`),
      });
    }
    for (const { path, method, spec } of operations())
      if (spec.requestBody !== undefined)
        expect(Object.keys(spec.responses), `${method} ${path}`).toEqual(
          expect.arrayContaining(['400', '413', '415']),
        );
  });

  it('limits every request body before its route, also when it streams in without a length', async () => {
    const big = JSON.stringify({ reason: 'x'.repeat(1024 * 1024) });
    const declared = await w.request('POST', '/v1/registrations/%2B66811111111/deregister', {
      key: op.apiKey,
      body: big,
      headers: { 'content-length': String(big.length) },
    });
    expect(declared.status).toBe(413);
    expect(await declared.json()).toMatchObject({
      code: 'payload_too_large',
      limit: 1024 * 1024,
    });
    const streamed = await w.request('POST', '/v1/auth/login', { body: big });
    expect(streamed.status).toBe(413);
    // The bulk uploads have room for their caps.
    const cdrs = await w.request('POST', '/v1/cdrs', {
      key: op.apiKey,
      body: ' '.repeat(2 * 1024 * 1024),
      headers: { 'content-type': 'application/x-ndjson' },
    });
    expect(((await cdrs.json()) as { code: string }).code).toBe('bad_request');
    for (const { path, method, spec } of operations())
      if (spec.requestBody !== undefined)
        expect(Object.keys(spec.responses), `${method} ${path}`).toContain('413');
  });

  it('closes the connection after a 413, so a pooling client gets the whole problem and no socket error', async () => {
    const server = await startServer(w);
    const path = '/v1/registrations/%2B66811111111/deregister';
    const big = JSON.stringify({ reason: 'x'.repeat(2 * 1024 * 1024) });
    /** One request on a keep-alive pool of one socket: what a node client with an Agent sees. */
    const send = (agent: http.Agent, body: string, chunked: boolean) =>
      new Promise<{ status?: number; connection?: string; body: string }>((resolve, reject) => {
        const headers: Record<string, string> = {
          authorization: `Bearer ${op.apiKey}`,
          'content-type': 'application/json',
          ...(chunked ? {} : { 'content-length': String(Buffer.byteLength(body)) }),
        };
        const req = http.request(
          `${server.url}${path}`,
          { method: 'POST', agent, headers },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (d: string) => {
              text += d;
            });
            res.on('end', () =>
              resolve({ status: res.statusCode, connection: res.headers.connection, body: text }),
            );
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    try {
      for (const chunked of [false, true]) {
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        try {
          const refused = await send(agent, big, chunked);
          expect(refused.status).toBe(413);
          expect(refused.connection).toBe('close');
          expect(JSON.parse(refused.body)).toMatchObject({ code: 'payload_too_large' });
          // The pool's next request goes out on a fresh socket and is answered.
          const next = await send(agent, '{"reason":"lost"}', false);
          expect(next.status).toBe(404);
        } finally {
          agent.destroy();
        }
      }
      // fetch (undici) pools connections too.
      const refused = await fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${op.apiKey}`, 'content-type': 'application/json' },
        body: big,
      });
      expect(refused.status).toBe(413);
      expect(refused.headers.get('connection')).toBe('close');
      expect(((await refused.json()) as { code: string }).code).toBe('payload_too_large');
      const next = await fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${op.apiKey}`, 'content-type': 'application/json' },
        body: '{"reason":"lost"}',
      });
      expect(next.status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it("answers what Node's parser refuses (oversized headers, malformed HTTP) as problem+json", async () => {
    const server = await startServer(w);
    const { port } = new URL(server.url);
    /** Raw bytes in, everything the server says until it closes the connection out. */
    const raw = (request: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = net.connect(Number(port), '127.0.0.1', () => socket.write(request));
        let text = '';
        socket.setEncoding('utf8');
        socket.on('data', (d: string) => {
          text += d;
        });
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
      });
    const parse = (text: string) => {
      const [head = '', body = ''] = text.split('\r\n\r\n');
      const [statusLine, ...headers] = head.split('\r\n');
      const header = (name: string) =>
        headers
          .find((h) => h.toLowerCase().startsWith(`${name}:`))
          ?.slice(name.length + 1)
          .trim();
      return { statusLine, header, problem: JSON.parse(body) as Record<string, unknown> };
    };
    try {
      const tooLarge = parse(
        await raw(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`),
      );
      expect(tooLarge.statusLine).toBe('HTTP/1.1 431 Request header fields too large');
      expect(tooLarge.header('content-type')).toBe('application/problem+json');
      expect(tooLarge.header('connection')).toBe('close');
      expect(tooLarge.header('x-content-type-options')).toBe('nosniff');
      expect(tooLarge.problem).toMatchObject({
        status: 431,
        code: 'headers_too_large',
        limit: http.maxHeaderSize,
        requestId: tooLarge.header('x-request-id'),
      });

      const malformed = parse(await raw('NOT HTTP AT ALL\r\n\r\n'));
      expect(malformed.statusLine).toBe('HTTP/1.1 400 Bad request');
      expect(malformed.problem).toMatchObject({ status: 400, code: 'bad_request' });
      expect(malformed.problem.detail).toMatch(/^the request is not valid HTTP\/1\.1 \(.+\)$/);

      // The server still answers well-formed requests, and every operation documents the 431.
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      for (const { spec } of operations()) expect(spec.responses['431']).toBeDefined();
    } finally {
      await server.close();
    }
  });

  it('reports not ready when migrations are missing', async () => {
    const ww = await createWorld();
    try {
      ww.deps.expectedMigrations = 999;
      const res = await ww.request('GET', '/readyz');
      expect(res.status).toBe(503);
      expect(((await res.json()) as { code: string }).code).toBe('unavailable');
    } finally {
      await ww.close();
    }
  });
});
