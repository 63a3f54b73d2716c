import { spawnSync } from 'node:child_process';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAudit } from '../../src/platform/audit.js';
import { open } from '../../src/platform/crypto.js';
import { idemKey, registrationBody, thaiSubscriber } from '../support/subjects.js';
import { createWorld, type World } from '../support/world.js';

let w: World;
const seeded: { documentNumber: string; fullName: string }[] = [];

beforeAll(async () => {
  w = await createWorld();
  const op = await w.operator('TH');
  for (let i = 0; i < 8; i++) {
    const subscriber = thaiSubscriber();
    seeded.push({ documentNumber: subscriber.documentNumber, fullName: subscriber.fullName });
    const res = await w.request('POST', '/v1/registrations', {
      key: op.apiKey,
      body: registrationBody(w.now(), { subscriber }),
      headers: { 'idempotency-key': idemKey() },
    });
    expect(res.status).toBe(201);
  }
  const refused = await w.request('POST', '/v1/registrations', {
    key: op.apiKey,
    body: registrationBody(w.now(), {
      subscriber: { ...thaiSubscriber('1101700230709'), fullName: 'Refused Person Name' },
    }),
    headers: { 'idempotency-key': idemKey() },
  });
  expect(refused.status).toBe(422);
  seeded.push({ documentNumber: '1101700230709', fullName: 'Refused Person Name' });
});
afterAll(() => w.close());

/** Every row of every table in the database, as text: what a dump would contain. */
async function dumpAll(url: string): Promise<string> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const tables = await sql<{ schema: string; name: string }[]>`
      select table_schema as schema, table_name as name from information_schema.tables
      where table_schema not in ('pg_catalog', 'information_schema') and table_type = 'BASE TABLE'`;
    const parts: string[] = [];
    for (const t of tables) {
      const rows = await sql.unsafe(
        `select row_to_json(x)::text as j from "${t.schema}"."${t.name}" x`,
      );
      parts.push(...rows.map((r) => String(r.j)));
    }
    return parts.join('\n');
  } finally {
    await sql.end();
  }
}

describe('identity data protection', () => {
  it('a dump of the database contains none of the seeded document numbers or names', async () => {
    const dump = await dumpAll(w.url);
    expect(dump.length).toBeGreaterThan(1000);
    for (const s of seeded) {
      expect(dump).not.toContain(s.documentNumber);
      expect(dump).not.toContain(s.fullName);
    }
  });

  it('sealed fields open with the key ring and are bound to their person', async () => {
    const row = await w.deps.db.selectFrom('persons').selectAll().executeTakeFirstOrThrow();
    const ring = { keys: w.deps.secrets.piiKeys };
    const number = open(ring, row.document_number_sealed, `${row.person_key}|document_number`);
    expect(seeded.map((s) => s.documentNumber)).toContain(number);
    expect(() => open(ring, row.document_number_sealed, `other|document_number`)).toThrow();
  });
});

describe('hash-chained audit log', () => {
  it('verifies clean, and the app role can neither update nor delete it', async () => {
    expect(await verifyAudit(w.deps.db)).toMatchObject({ ok: true });
    await expect(w.deps.sql`update audit_log set action = 'x'`).rejects.toThrow(/append-only/);
    await expect(w.deps.sql`delete from audit_log`).rejects.toThrow(/append-only/);
    await expect(w.deps.sql`truncate audit_log`).rejects.toThrow(/append-only/);
  });

  it('names the first tampered row, also through the CLI', async () => {
    const target = await w.deps.db
      .selectFrom('audit_log')
      .select(['id', 'shard', 'seq'])
      .where('action', '=', 'registration.created')
      .orderBy('id')
      .executeTakeFirstOrThrow();
    /** A superuser who disables the trigger can still edit; the chain is what catches it. */
    await w.deps.sql.begin(async (tx) => {
      await tx`alter table audit_log disable trigger audit_log_no_update_delete`;
      await tx`update audit_log set data = jsonb_set(data, '{msisdn}', '"+66800000001"') where id = ${target.id}`;
      await tx`alter table audit_log enable trigger audit_log_no_update_delete`;
    });
    const result = await verifyAudit(w.deps.db);
    expect(result).toMatchObject({ ok: false, badRowId: Number(target.id), shard: target.shard });

    const cli = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'audit', 'verify'], {
      env: { ...process.env, ...w.secretEnv(), DATABASE_URL: w.url, LOG_LEVEL: 'silent' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(cli.status).toBe(3);
    expect(JSON.parse(cli.stdout)).toMatchObject({ ok: false, badRowId: Number(target.id) });
  });
});
