import { createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { sql } from 'kysely';
import { z } from 'zod';
import {
  type AuditVerification,
  type CheckpointShard,
  canonicalJson,
  verifyAudit,
} from './audit.js';
import { publicKeyFingerprint } from './crypto.js';
import type { Db } from './db/client.js';
import type { Logger } from './log.js';

/**
 * A signed statement of every audit shard's head at one moment. Kept outside the database (files
 * shipped off the host), it lets `audit verify` catch what no in-database check can: rows cut off
 * the end with the head rewound, a chain recomputed from an edited row, a shard deleted whole.
 */
const CheckpointSchema = z
  .object({
    version: z.literal(1),
    createdAt: z.string(),
    rows: z.number().int().min(0),
    shards: z.array(
      z
        .object({
          shard: z.string(),
          seq: z.number().int().min(0),
          hash: z.string(),
          legacyUpTo: z.number().int().min(0),
        })
        .strict(),
    ),
    signingKeyId: z.string(),
    publicKeyFingerprint: z.string(),
    signature: z.string(),
  })
  .strict();

export type AuditCheckpoint = z.infer<typeof CheckpointSchema>;

export interface SigningKey {
  id: string;
  privateKey: KeyObject;
}

/** The bytes signed: the checkpoint without its signature, as canonical JSON. */
function signedBytes(cp: Omit<AuditCheckpoint, 'signature'> & { signature?: string }): Buffer {
  const { signature: _unsigned, ...rest } = cp;
  return Buffer.from(canonicalJson(rest));
}

/** Reads every head (and each shard's last unkeyed row) in one snapshot and signs it. */
export async function createCheckpoint(
  db: Db,
  key: SigningKey,
  now: Date,
): Promise<AuditCheckpoint> {
  const { heads, legacy } = await db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute(async (tx) => ({
      heads: await tx.selectFrom('audit_heads').selectAll().orderBy('shard').execute(),
      legacy: await tx
        .selectFrom('audit_log')
        .select(['shard', sql<string>`max(seq)`.as('seq')])
        .where('key_id', 'is', null)
        .groupBy('shard')
        .execute(),
    }));
  const legacyUpTo = new Map(legacy.map((l) => [l.shard, Number(l.seq)]));
  const shards: CheckpointShard[] = heads.map((h) => ({
    shard: h.shard,
    seq: Number(h.seq),
    hash: h.hash,
    legacyUpTo: Math.min(legacyUpTo.get(h.shard) ?? 0, Number(h.seq)),
  }));
  const body = {
    version: 1 as const,
    createdAt: now.toISOString(),
    /** Sequence numbers are dense from 1, so the heads give the row count without a scan. */
    rows: shards.reduce((n, s) => n + s.seq, 0),
    shards,
    signingKeyId: key.id,
    publicKeyFingerprint: publicKeyFingerprint(key.privateKey),
  };
  const signature = sign(null, signedBytes(body), key.privateKey).toString('base64');
  return { ...body, signature };
}

export type CheckpointVerification =
  | AuditVerification
  | { ok: false; check: 'checkpoint_invalid' | 'signature_invalid'; reason: string };

/** Parses a checkpoint file's text and checks its signature; never throws on bad input. */
export function readCheckpoint(
  text: string,
  publicKey: KeyObject,
): { ok: true; checkpoint: AuditCheckpoint } | Extract<CheckpointVerification, { ok: false }> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, check: 'checkpoint_invalid', reason: 'the checkpoint is not JSON' };
  }
  const cp = CheckpointSchema.safeParse(parsed);
  if (!cp.success) {
    return {
      ok: false,
      check: 'checkpoint_invalid',
      reason: `the checkpoint is malformed: ${cp.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    };
  }
  const pub = publicKey.type === 'private' ? createPublicKey(publicKey) : publicKey;
  if (cp.data.publicKeyFingerprint !== publicKeyFingerprint(pub)) {
    return {
      ok: false,
      check: 'signature_invalid',
      reason: `the checkpoint names signing key ${cp.data.signingKeyId} (${cp.data.publicKeyFingerprint}), not the key given (${publicKeyFingerprint(pub)})`,
    };
  }
  const good = verify(null, signedBytes(cp.data), pub, Buffer.from(cp.data.signature, 'base64'));
  if (!good) {
    return {
      ok: false,
      check: 'signature_invalid',
      reason: 'the signature does not match the checkpoint (it was altered after signing)',
    };
  }
  return { ok: true, checkpoint: cp.data };
}

/** Checks the signature, then the database against the checkpoint and every keyed chain. */
export async function verifyWithCheckpoint(
  db: Db,
  text: string,
  publicKey: KeyObject,
): Promise<CheckpointVerification> {
  const read = readCheckpoint(text, publicKey);
  if (!read.ok) return read;
  return verifyAudit(db, { checkpoint: read.checkpoint.shards });
}

/** Writes next to the target and renames, so a reader never sees half a file. */
export function writeCheckpointFile(path: string, cp: AuditCheckpoint): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  writeFileSync(tmp, `${JSON.stringify(cp, null, 2)}\n`, { mode: 0o644 });
  renameSync(tmp, path);
}

/** `audit-checkpoint-2026-11-25T10-05-00.000Z.json`: sorts by time, safe on every filesystem. */
export function checkpointFileName(at: Date): string {
  return `audit-checkpoint-${at.toISOString().replace(/:/g, '-')}.json`;
}

/**
 * Appends a checkpoint file to `dir` every `intervalMs` (and once at start). A failure is
 * logged and retried at the next tick; it never stops the process.
 */
export function startCheckpointWriter(opts: {
  db: Db;
  key: SigningKey;
  dir: string;
  intervalMs: number;
  clock: () => Date;
  log: Logger;
}): { stop(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  const tick = () => {
    running = running.then(async () => {
      try {
        const now = opts.clock();
        const cp = await createCheckpoint(opts.db, opts.key, now);
        const path = join(opts.dir, checkpointFileName(now));
        writeCheckpointFile(path, cp);
        opts.log.info(
          { path, shards: cp.shards.length, rows: cp.rows },
          'audit checkpoint written',
        );
      } catch (err) {
        opts.log.error({ err }, 'audit checkpoint failed');
      }
    });
  };
  tick();
  const timer = setInterval(tick, opts.intervalMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
