import { sql } from 'kysely';
import { audit, auditShard } from '../platform/audit.js';
import { type Keyring, open, seal } from '../platform/crypto.js';
import type { Tx } from '../platform/db/client.js';
import { type TxCtx, withTransaction } from '../platform/db/transaction.js';
import type { DocumentType } from './documents.js';
import { canonicalNationalId, personKey, personSubject } from './identity.js';
import {
  dropRepeatedRepresentatives,
  findOverCapPersons,
  type OverCapPerson,
  tablesWithPersonKey,
} from './queries.js';

export interface RekeyCtx extends TxCtx {
  keyring: Keyring;
  identityPepper: Buffer;
  actor: string;
  now: Date;
}

export interface RekeyReport {
  persons: number;
  /** Person rows whose key changed (moved to a new key or merged into another). */
  rekeyed: number;
  /** Keys that now hold more than one former person. */
  merged: number;
  /** Rows whose sealed document no longer passes today's checks: left under their key. */
  unverifiable: { personKey: string; documentType: string; documentCountry: string }[];
  overCap: OverCapPerson[];
}

type PersonRow = Awaited<ReturnType<typeof selectPersons>>[number];

interface Opened {
  row: PersonRow;
  fullName: string;
  documentNumber: string;
  dateOfBirth: string;
  personalNumber: string | null;
}

const DOCUMENT_TYPES: ReadonlySet<string> = new Set(['national_id', 'id_card', 'passport']);

function selectPersons(tx: Tx) {
  return tx.selectFrom('persons').selectAll().orderBy('created_at').orderBy('person_key').execute();
}

function openRow(ring: Keyring, row: PersonRow): Opened {
  const aad = (field: string) => `${row.person_key}|${field}`;
  return {
    row,
    fullName: open(ring, row.full_name_sealed, aad('full_name')),
    documentNumber: open(ring, row.document_number_sealed, aad('document_number')),
    dateOfBirth: open(ring, row.date_of_birth_sealed, aad('date_of_birth')),
    personalNumber:
      row.personal_number_sealed === null
        ? null
        : open(ring, row.personal_number_sealed, aad('personal_number')),
  };
}

/**
 * The key today's rules give the sealed document: a national ID is canonicalised again by the
 * current checker; a passport or card number was stored canonical (its MRZ is not stored).
 */
function currentKey(
  p: Opened,
  pepper: Buffer,
  now: Date,
): { key: string; number: string } | undefined {
  const { row } = p;
  if (!DOCUMENT_TYPES.has(row.document_type)) return undefined;
  const holder = { fullName: p.fullName, dateOfBirth: p.dateOfBirth, nationality: row.nationality };
  const number =
    row.document_type === 'national_id'
      ? canonicalNationalId(row.document_country, p.documentNumber, holder, now)
      : p.documentNumber;
  if (number === undefined) return undefined;
  const subject = personSubject(
    {
      ...holder,
      documentType: row.document_type as DocumentType,
      documentCountry: row.document_country,
      number,
      personalNumber: p.personalNumber ?? undefined,
    },
    now,
  );
  return { key: personKey(pepper, subject), number };
}

/** The earliest flag among the members, so a merged person stays flagged from when it was. */
function earliestFlag(members: Opened[]): { at: Date | null; reason: string | null } {
  let flag: { at: Date | null; reason: string | null } = { at: null, reason: null };
  for (const { row } of members) {
    if (row.flagged_at && (!flag.at || row.flagged_at < flag.at)) {
      flag = { at: row.flagged_at, reason: row.flag_reason };
    }
  }
  return flag;
}

async function moveGroup(
  tx: Tx,
  ctx: RekeyCtx,
  key: string,
  members: Opened[],
  tables: string[],
): Promise<{ moved: string[] }> {
  const survivor = members.find((m) => m.row.person_key === key) ?? members[0];
  if (!survivor) return { moved: [] };
  const moved = members.filter((m) => m.row.person_key !== key).map((m) => m.row.person_key);
  const flag = earliestFlag(members);
  /** Members come in creation order: the merged person exists since the first of them. */
  const createdAt = members[0]?.row.created_at ?? survivor.row.created_at;
  if (survivor.row.person_key === key) {
    await tx
      .updateTable('persons')
      .set({ created_at: createdAt, flagged_at: flag.at, flag_reason: flag.reason })
      .where('person_key', '=', key)
      .execute();
  } else {
    const aad = (field: string) => `${key}|${field}`;
    await tx
      .insertInto('persons')
      .values({
        person_key: key,
        document_type: survivor.row.document_type,
        document_country: survivor.row.document_country,
        nationality: survivor.row.nationality,
        full_name_sealed: seal(ctx.keyring, survivor.fullName, aad('full_name')),
        document_number_sealed: seal(ctx.keyring, survivor.documentNumber, aad('document_number')),
        date_of_birth_sealed: seal(ctx.keyring, survivor.dateOfBirth, aad('date_of_birth')),
        personal_number_sealed:
          survivor.personalNumber === null
            ? null
            : seal(ctx.keyring, survivor.personalNumber, aad('personal_number')),
        created_at: createdAt,
        flagged_at: flag.at,
        flag_reason: flag.reason,
      })
      .execute();
  }
  await dropRepeatedRepresentatives(tx, { key, moved });
  for (const table of tables) {
    await sql`update ${sql.table(table)} set person_key = ${key} where person_key in (${sql.join(moved)})`.execute(
      tx,
    );
  }
  await tx.deleteFrom('persons').where('person_key', 'in', moved).execute();
  await audit(tx, ctx, {
    shard: auditShard('admin:identities', key),
    action: members.length > 1 ? 'person.merged' : 'person.rekeyed',
    subjectType: 'person',
    subjectId: key,
    outcome: 'success',
    data: { from: moved, persons: members.length },
  });
  return { moved };
}

/**
 * Recomputes every person key from the sealed documents with today's rules, merges persons that
 * are now one human (their rows in every table with a `person_key` move to the surviving key,
 * sealed fields are sealed again under it) and reports every person over a cap. One transaction,
 * with the persons table locked against registrations; running it again changes nothing.
 */
export async function rekeyIdentities({ ctx }: { ctx: RekeyCtx }): Promise<RekeyReport> {
  return withTransaction(ctx, async (tx) => {
    await sql`lock table persons in exclusive mode`.execute(tx);
    const rows = await selectPersons(tx);
    const existing = new Set(rows.map((r) => r.person_key));
    const groups = new Map<string, Opened[]>();
    const unverifiable: RekeyReport['unverifiable'] = [];
    for (const row of rows) {
      const opened = openRow(ctx.keyring, row);
      const current = currentKey(opened, ctx.identityPepper, ctx.now);
      /** A row sealed again under a new key stores the number in today's canonical form. */
      if (current) opened.documentNumber = current.number;
      let key = current?.key;
      if (key === undefined) {
        unverifiable.push({
          personKey: row.person_key,
          documentType: row.document_type,
          documentCountry: row.document_country,
        });
        key = row.person_key;
      }
      groups.set(key, [...(groups.get(key) ?? []), opened]);
    }
    const tables = await tablesWithPersonKey(tx);
    let rekeyed = 0;
    let merged = 0;
    for (const [key, members] of groups) {
      if (members.every((m) => m.row.person_key === key)) continue;
      if (existing.has(key) && !members.some((m) => m.row.person_key === key)) {
        throw new Error('a person key is both the target of a merge and moving elsewhere');
      }
      const { moved } = await moveGroup(tx, ctx, key, members, tables);
      rekeyed += moved.length;
      if (members.length > 1) merged += 1;
    }
    return {
      persons: rows.length,
      rekeyed,
      merged,
      unverifiable,
      overCap: await findOverCapPersons(tx),
    };
  });
}
