import { sql } from 'kysely';
import type { DbOrTx } from '../platform/db/client.js';

export async function findCaps(db: DbOrTx, { country }: { country: string }) {
  return db.selectFrom('sim_caps').selectAll().where('country', '=', country).executeTakeFirst();
}

export async function findVerificationPolicy(db: DbOrTx, { country }: { country: string }) {
  const row = await db
    .selectFrom('verification_policies')
    .selectAll()
    .where('country', '=', country)
    .executeTakeFirst();
  return row
    ? {
        country: row.country,
        methods: row.methods,
        minScore: row.min_score,
        maxAgeSeconds: row.max_age_seconds,
      }
    : undefined;
}

/**
 * Inserts the person if new and, either way, takes the row lock that serialises every
 * registration of this identity (all operators) until the transaction ends.
 */
export async function lockPerson(
  db: DbOrTx,
  person: {
    personKey: string;
    documentType: string;
    documentCountry: string;
    nationality: string;
    fullNameSealed: string;
    documentNumberSealed: string;
    dateOfBirthSealed: string;
  },
): Promise<void> {
  await db
    .insertInto('persons')
    .values({
      person_key: person.personKey,
      document_type: person.documentType,
      document_country: person.documentCountry,
      nationality: person.nationality,
      full_name_sealed: person.fullNameSealed,
      document_number_sealed: person.documentNumberSealed,
      date_of_birth_sealed: person.dateOfBirthSealed,
    })
    .onConflict((oc) =>
      oc.column('person_key').doUpdateSet({ person_key: (eb) => eb.ref('excluded.person_key') }),
    )
    .execute();
}

/** Active SIMs of one identity in one country that count against person caps. */
export async function countActiveSims(
  db: DbOrTx,
  { personKey, country, operatorId }: { personKey: string; country: string; operatorId: string },
): Promise<{ operator: number; national: number; lastAt: Date | null }> {
  const row = await db
    .selectFrom('registrations')
    .select([
      sql<number>`count(*) filter (where operator_id = ${operatorId} and status = 'active')::int`.as(
        'operator',
      ),
      sql<number>`count(*) filter (where status = 'active')::int`.as('national'),
      sql<Date | null>`max(created_at)`.as('last_at'),
    ])
    .where('person_key', '=', personKey)
    .where('country', '=', country)
    .where('exempt_account_id', 'is', null)
    .executeTakeFirstOrThrow();
  return { operator: row.operator, national: row.national, lastAt: row.last_at };
}

export async function countAccountSims(db: DbOrTx, { accountId }: { accountId: string }) {
  const row = await db
    .selectFrom('registrations')
    .select(sql<number>`count(*)::int`.as('n'))
    .where('exempt_account_id', '=', accountId)
    .where('status', '=', 'active')
    .executeTakeFirstOrThrow();
  return row.n;
}

/**
 * The operator's approved account, its row locked for the transaction: registrations on one
 * account count its SIMs one at a time (after their person's lock, always in that order).
 */
export async function lockExemptAccount(
  db: DbOrTx,
  { operatorId, accountRef }: { operatorId: string; accountRef: string },
) {
  return db
    .selectFrom('cap_exempt_accounts')
    .selectAll()
    .where('operator_id', '=', operatorId)
    .where('account_ref', '=', accountRef)
    .forUpdate()
    .executeTakeFirst();
}

/** Whether the number is held by an active registration or sits in quarantine at `now`. */
export async function findMsisdnBlock(db: DbOrTx, { msisdn, now }: { msisdn: string; now: Date }) {
  return db
    .selectFrom('registrations')
    .select(['status', 'quarantine_until'])
    .where('msisdn', '=', msisdn)
    .where((eb) => eb.or([eb('status', '=', 'active'), eb('quarantine_until', '>', now)]))
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
}

export async function iccidActive(db: DbOrTx, { iccid }: { iccid: string }): Promise<boolean> {
  const row = await db
    .selectFrom('registrations')
    .select('id')
    .where('iccid', '=', iccid)
    .where('status', '=', 'active')
    .executeTakeFirst();
  return row !== undefined;
}

/** The operator's own registration of a number: the active one, else the latest. */
export async function findOwnRegistration(
  db: DbOrTx,
  { operatorId, msisdn }: { operatorId: string; msisdn: string },
) {
  return db
    .selectFrom('registrations')
    .selectAll()
    .where('operator_id', '=', operatorId)
    .where('msisdn', '=', msisdn)
    .orderBy(sql`status = 'active'`, 'desc')
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
}

export async function listOwnActiveMsisdns(
  db: DbOrTx,
  { operatorId, personKey }: { operatorId: string; personKey: string },
): Promise<string[]> {
  const rows = await db
    .selectFrom('registrations')
    .select('msisdn')
    .where('operator_id', '=', operatorId)
    .where('person_key', '=', personKey)
    .where('status', '=', 'active')
    .orderBy('created_at')
    .execute();
  return rows.map((r) => r.msisdn);
}

/** The sealed identity fields of a person, to check a caller's claim against. */
export async function findSealedPerson(db: DbOrTx, { personKey }: { personKey: string }) {
  return db
    .selectFrom('persons')
    .select(['person_key', 'full_name_sealed', 'date_of_birth_sealed'])
    .where('person_key', '=', personKey)
    .executeTakeFirst();
}
