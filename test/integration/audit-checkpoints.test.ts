import { spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type AuditEntry,
  appendAudit,
  auditShard,
  entryHash,
  verifyAudit,
} from '../../src/platform/audit.js';
import {
  createCheckpoint,
  readCheckpoint,
  startCheckpointWriter,
  verifyWithCheckpoint,
} from '../../src/platform/audit-checkpoint.js';
import { idemKey, registrationBody } from '../support/subjects.js';
import { createWorld, type World } from '../support/world.js';

const worlds: World[] = [];
afterAll(() => Promise.all(worlds.map((w) => w.close())));

/** A world with one operator, a few registrations and the shard they sit in. */
async function seeded(): Promise<{ w: World; shard: string }> {
  const w = await createWorld();
  worlds.push(w);
  const op = await w.operator('TH');
  for (let i = 0; i < 4; i++) {
    const res = await w.request('POST', '/v1/registrations', {
      key: op.apiKey,
      body: registrationBody(w.now()),
      headers: { 'idempotency-key': idemKey() },
    });
    expect(res.status).toBe(201);
  }
  /** Several rows in one shard: the operator's admin shard holds its creation and key. */
  const shard = `admin:${op.operatorId}`;
  const n = await w.deps.db
    .selectFrom('audit_log')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('shard', '=', shard)
    .executeTakeFirstOrThrow();
  expect(Number(n.n)).toBeGreaterThanOrEqual(2);
  return { w, shard };
}

function key(w: World) {
  return w.deps.secrets.auditSigningKey;
}

function publicKeyOf(w: World) {
  return key(w).privateKey;
}

/** As a superuser with the append-only triggers off, the way an attacker with the DB would. */
async function asSuperuser(w: World, work: (sql: World['deps']['sql']) => Promise<void>) {
  await w.deps.sql.begin(async (tx) => {
    await tx`alter table audit_log disable trigger audit_log_no_update_delete`;
    await work(tx as unknown as World['deps']['sql']);
    await tx`alter table audit_log enable trigger audit_log_no_update_delete`;
  });
}

/** Edits the first row of `shard` and recomputes the chain and head with plain SHA-256. */
async function rewriteShardWithoutKey(w: World, shard: string, keepKeyIds: boolean) {
  const rows = await w.deps.db
    .selectFrom('audit_log')
    .selectAll()
    .where('shard', '=', shard)
    .orderBy('seq')
    .execute();
  await asSuperuser(w, async (sql) => {
    let prev = '0'.repeat(64);
    for (const [i, r] of rows.entries()) {
      const entry: AuditEntry = {
        shard: r.shard,
        at: r.at,
        actorType: r.actor_type as AuditEntry['actorType'],
        actorId: r.actor_id,
        action: r.action,
        subjectType: r.subject_type,
        subjectId: r.subject_id,
        outcome: r.outcome as AuditEntry['outcome'],
        data: i === 0 ? { ...(r.data as object), forged: true } : (r.data as AuditEntry['data']),
      };
      const hash = entryHash(prev, Number(r.seq), entry);
      await sql`update audit_log set data = ${sql.json(entry.data as never)}, prev_hash = ${prev},
        hash = ${hash}, key_id = ${keepKeyIds ? r.key_id : null} where id = ${r.id}`;
      prev = hash;
    }
    await sql`update audit_heads set hash = ${prev} where shard = ${shard}`;
  });
}

describe('keyed audit chain', () => {
  it('links new rows under the audit key and names its id on each row', async () => {
    const { w, shard } = await seeded();
    const rows = await w.deps.db.selectFrom('audit_log').select(['key_id']).execute();
    expect(rows.length).toBeGreaterThan(4);
    expect(new Set(rows.map((r) => r.key_id))).toEqual(new Set(['a1']));
    expect(await verifyAudit(w.deps.db)).toMatchObject({ ok: true });
    /** Without the key the same rows do not verify: the key is what the chain rests on. */
    expect(await verifyAudit(w.deps.db, { keys: [] })).toMatchObject({
      ok: false,
      check: 'unknown_key',
    });
    expect(shard).toMatch(/^admin:/);
  });

  it('verifies after the key rotates, with the old key still in the ring', async () => {
    const { w } = await seeded();
    const old = w.deps.secrets.auditHmacKeys[0];
    if (!old) throw new Error('no key');
    const ring = [{ id: 'a2', key: Buffer.alloc(32, 7) }, old];
    const { withAuditKeys } = await import('../../src/platform/audit.js');
    const rotated = withAuditKeys(w.deps.db, ring);
    await rotated.transaction().execute((tx) =>
      appendAudit(tx, {
        shard: auditShard('test', 'rotation'),
        at: w.now(),
        actorType: 'system',
        actorId: 'test',
        action: 'test.rotated',
        subjectType: 'test',
        subjectId: 'rotation',
        outcome: 'success',
        data: {},
      }),
    );
    const ids = await rotated.selectFrom('audit_log').select('key_id').distinct().execute();
    expect(ids.map((r) => r.key_id).sort()).toEqual(['a1', 'a2']);
    expect(await verifyAudit(rotated)).toMatchObject({ ok: true });
  });

  it('refuses to append without a key', async () => {
    const { w } = await seeded();
    const { connect } = await import('../../src/platform/db/client.js');
    const bare = connect(w.url, { max: 1 });
    try {
      await expect(
        bare.db.transaction().execute((tx) =>
          appendAudit(tx, {
            shard: 'x:00',
            at: w.now(),
            actorType: 'system',
            actorId: 't',
            action: 't',
            subjectType: 't',
            subjectId: 't',
            outcome: 'success',
            data: {},
          }),
        ),
      ).rejects.toThrow(/no audit key/);
    } finally {
      await bare.close();
    }
  });

  it('still verifies rows written before keys (no key id), but only before keyed rows', async () => {
    const { w } = await seeded();
    const shard = 'legacy:00';
    const entry = (n: number): AuditEntry => ({
      shard,
      at: new Date('2026-01-01T00:00:00Z'),
      actorType: 'system',
      actorId: 'old',
      action: `old.${n}`,
      subjectType: 'test',
      subjectId: 'legacy',
      outcome: 'success',
      data: { n },
    });
    /** Two rows as the unkeyed code wrote them, then a keyed append on top. */
    let prev = '0'.repeat(64);
    for (const seq of [1, 2]) {
      const hash = entryHash(prev, seq, entry(seq));
      await w.deps.sql`insert into audit_log (shard, seq, at, actor_type, actor_id, action,
        subject_type, subject_id, outcome, data, prev_hash, hash) values (${shard}, ${seq},
        ${entry(seq).at}, 'system', 'old', ${`old.${seq}`}, 'test', 'legacy', 'success',
        ${w.deps.sql.json({ n: seq })}, ${prev}, ${hash})`;
      prev = hash;
    }
    await w.deps.sql`insert into audit_heads (shard, seq, hash) values (${shard}, 2, ${prev})`;
    await w.deps.db.transaction().execute((tx) => appendAudit(tx, entry(3)));
    expect(await verifyAudit(w.deps.db)).toMatchObject({ ok: true });
    const cp = await createCheckpoint(w.deps.db, key(w), w.now());
    expect(cp.shards.find((s) => s.shard === shard)).toMatchObject({ seq: 3, legacyUpTo: 2 });
    expect(await verifyWithCheckpoint(w.deps.db, JSON.stringify(cp), publicKeyOf(w))).toMatchObject(
      { ok: true },
    );
  });
});

describe('the attacks of a database superuser', () => {
  it('(a) rows cut off the end with the head rewound: caught by the checkpoint', async () => {
    const { w, shard } = await seeded();
    const cp = await createCheckpoint(w.deps.db, key(w), w.now());
    const head = cp.shards.find((s) => s.shard === shard);
    if (!head) throw new Error('shard not in checkpoint');
    await asSuperuser(w, async (sql) => {
      const [kept] = await sql`select seq, hash from audit_log where shard = ${shard}
        and seq = ${head.seq - 1}`;
      await sql`delete from audit_log where shard = ${shard} and seq = ${head.seq}`;
      await sql`update audit_heads set seq = ${kept?.seq}, hash = ${kept?.hash}
        where shard = ${shard}`;
    });
    /** The chain alone is consistent: this is what the checkpoint is for. */
    expect(await verifyAudit(w.deps.db)).toMatchObject({ ok: true });
    expect(await verifyWithCheckpoint(w.deps.db, JSON.stringify(cp), publicKeyOf(w))).toMatchObject(
      { ok: false, shard, check: 'checkpoint_truncated' },
    );
  });

  it('(b) an edited row with every later hash and the head recomputed', async () => {
    const { w, shard } = await seeded();
    const cp = await createCheckpoint(w.deps.db, key(w), w.now());
    /** Keeping the key ids, the plain SHA-256 hashes fail the keyed chain on their own. */
    await rewriteShardWithoutKey(w, shard, true);
    expect(await verifyAudit(w.deps.db)).toMatchObject({
      ok: false,
      shard,
      check: 'hash_mismatch',
    });
    /** Passing the rows off as unkeyed old rows: the checkpoint's hash no longer matches. */
    await rewriteShardWithoutKey(w, shard, false);
    expect(await verifyWithCheckpoint(w.deps.db, JSON.stringify(cp), publicKeyOf(w))).toMatchObject(
      { ok: false, shard, check: 'checkpoint_hash_mismatch' },
    );
  });

  it('(b) rows after the checkpoint rewritten as unkeyed old rows', async () => {
    const { w } = await seeded();
    const op = await w.operator('TH');
    const cp = await createCheckpoint(w.deps.db, key(w), w.now());
    /** A shard born after the checkpoint, rewritten whole without the key. */
    const res = await w.request('POST', '/v1/registrations', {
      key: op.apiKey,
      body: registrationBody(w.now()),
      headers: { 'idempotency-key': idemKey() },
    });
    expect(res.status).toBe(201);
    const row = await w.deps.db
      .selectFrom('audit_log')
      .select('shard')
      .where('action', '=', 'registration.created')
      .where('actor_id', '=', op.operatorId)
      .executeTakeFirstOrThrow();
    await rewriteShardWithoutKey(w, row.shard, false);
    expect(await verifyWithCheckpoint(w.deps.db, JSON.stringify(cp), publicKeyOf(w))).toMatchObject(
      { ok: false, shard: row.shard, check: 'unkeyed_row' },
    );
  });

  it('(c) a whole shard and its head deleted', async () => {
    const { w, shard } = await seeded();
    const cp = await createCheckpoint(w.deps.db, key(w), w.now());
    await asSuperuser(w, async (sql) => {
      await sql`delete from audit_log where shard = ${shard}`;
      await sql`delete from audit_heads where shard = ${shard}`;
    });
    expect(await verifyAudit(w.deps.db)).toMatchObject({ ok: true });
    expect(await verifyWithCheckpoint(w.deps.db, JSON.stringify(cp), publicKeyOf(w))).toMatchObject(
      { ok: false, shard, check: 'checkpoint_shard_missing' },
    );
  });

  it('a checkpoint edited after signing, or checked with another key, fails its signature', async () => {
    const { w, shard } = await seeded();
    const cp = await createCheckpoint(w.deps.db, key(w), w.now());
    const forged = {
      ...cp,
      shards: cp.shards.map((s) => (s.shard === shard ? { ...s, seq: s.seq - 1 } : s)),
    };
    expect(readCheckpoint(JSON.stringify(forged), publicKeyOf(w))).toMatchObject({
      ok: false,
      check: 'signature_invalid',
    });
    const other = generateKeyPairSync('ed25519').publicKey;
    expect(readCheckpoint(JSON.stringify(cp), other)).toMatchObject({
      ok: false,
      check: 'signature_invalid',
    });
    expect(readCheckpoint('{"version":1}', publicKeyOf(w))).toMatchObject({
      ok: false,
      check: 'checkpoint_invalid',
    });
  });
});

describe('checkpoints outside the database', () => {
  it('the CLI writes, publishes the key for, and verifies a checkpoint; a truncation exits 3', async () => {
    const { w, shard } = await seeded();
    const dir = mkdtempSync(join(tmpdir(), 'simline-cp-'));
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
        env: {
          ...process.env,
          ...w.secretEnv(),
          DATABASE_URL: w.url,
          DATA_DIR: dir,
          LOG_LEVEL: 'silent',
        },
        encoding: 'utf8',
        timeout: 60_000,
      });
    const file = join(dir, 'cp.json');
    const made = cli('audit', 'checkpoint', '--out', file);
    expect(made.status, made.stderr).toBe(0);
    expect(JSON.parse(made.stdout)).toMatchObject({ file, signingKeyId: 's1' });
    const written = JSON.parse(readFileSync(file, 'utf8'));
    expect(written).toMatchObject({ version: 1, signingKeyId: 's1' });
    expect(written.publicKeyFingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(written.rows).toBeGreaterThan(4);

    const pub = cli('audit', 'public-key');
    expect(pub.status, pub.stderr).toBe(0);
    expect(pub.stdout).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    const pem = join(dir, 'audit.pub.pem');
    writeFileSync(pem, pub.stdout);

    await asSuperuser(w, async (sql) => {
      await sql`delete from audit_log where shard = ${shard}`;
      await sql`delete from audit_heads where shard = ${shard}`;
    });
    const bad = cli('audit', 'verify', '--checkpoint', file, '--public-key', pem);
    expect(bad.status, bad.stderr).toBe(3);
    expect(JSON.parse(bad.stdout)).toMatchObject({
      ok: false,
      shard,
      check: 'checkpoint_shard_missing',
    });
  });

  it('the server appends a signed checkpoint file to its directory on a timer', async () => {
    const { w } = await seeded();
    const dir = join(mkdtempSync(join(tmpdir(), 'simline-cpdir-')), 'checkpoints');
    const writer = startCheckpointWriter({
      db: w.deps.db,
      key: key(w),
      dir,
      intervalMs: 50,
      clock: () => new Date(),
      log: w.deps.log,
    });
    try {
      await expect
        .poll(() => readdirSync(dir, { withFileTypes: true }).filter((f) => f.isFile()).length, {
          timeout: 10_000,
        })
        .toBeGreaterThanOrEqual(2);
    } finally {
      await writer.stop();
    }
    const files = readdirSync(dir);
    expect(
      files.every((f) => /^audit-checkpoint-\d{4}-\d\d-\d\dT[\d-]+\.\d{3}Z\.json$/.test(f)),
    ).toBe(true);
    const text = readFileSync(join(dir, files.sort()[0] ?? ''), 'utf8');
    expect(await verifyWithCheckpoint(w.deps.db, text, publicKeyOf(w))).toMatchObject({
      ok: true,
    });
  });

  it('the api role writes checkpoints when AUDIT_CHECKPOINT_DIR is set', async () => {
    const { w } = await seeded();
    const dir = join(mkdtempSync(join(tmpdir(), 'simline-srv-')), 'cp');
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: {
        ...process.env,
        ...w.secretEnv(),
        DATABASE_URL: w.url,
        DATA_DIR: dirname(dir),
        PORT: '0',
        HOST: '127.0.0.1',
        SIMLINE_ROLE: 'api',
        LOG_LEVEL: 'warn',
        AUDIT_CHECKPOINT_DIR: dir,
        AUDIT_CHECKPOINT_INTERVAL_MS: '1000',
      },
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    try {
      await expect
        .poll(
          () => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : []).length,
          {
            timeout: 30_000,
            interval: 200,
          },
        )
        .toBeGreaterThanOrEqual(2);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
    const first =
      readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .sort()[0] ?? '';
    const text = readFileSync(join(dir, first), 'utf8');
    expect(await verifyWithCheckpoint(w.deps.db, text, publicKeyOf(w))).toMatchObject({ ok: true });
  });
});
