import { sql } from 'kysely';
import type { DbOrTx } from '../platform/db/client.js';

export async function findCaps(db: DbOrTx, { country }: { country: string }) {
  return db.selectFrom('sim_caps').selectAll().where('country', '=', country).executeTakeFirst();
}

export async function findAcquisitionLimit(db: DbOrTx, { country }: { country: string }) {
  return db
    .selectFrom('sim_acquisition_limits')
    .selectAll()
    .where('country', '=', country)
    .executeTakeFirst();
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

export async function findDocumentPolicy(db: DbOrTx, { country }: { country: string }) {
  const row = await db
    .selectFrom('document_policies')
    .selectAll()
    .where('country', '=', country)
    .executeTakeFirst();
  return row
    ? {
        country: row.country,
        nationalDocuments: row.national_documents,
        foreignDocuments: row.foreign_documents,
        residentDocuments: row.resident_documents,
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
    personalNumberSealed: string | null;
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
      personal_number_sealed: person.personalNumberSealed,
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

/**
 * New SIMs one identity took in the window (any operator of the country, deregistered ones too),
 * and the creation time of the `limit`-th newest: when it leaves the window, one more is allowed.
 */
export async function countAcquisitions(
  db: DbOrTx,
  {
    personKey,
    country,
    since,
    limit,
  }: { personKey: string; country: string; since: Date; limit: number },
): Promise<{ count: number; freesAt: Date | null }> {
  const rows = await db
    .selectFrom('registrations')
    .select(['created_at', sql<number>`count(*) over ()::int`.as('n')])
    .where('person_key', '=', personKey)
    .where('country', '=', country)
    .where('exempt_account_id', 'is', null)
    .where('created_at', '>', since)
    .orderBy('created_at', 'desc')
    .limit(Math.max(limit, 1))
    .execute();
  return {
    count: rows[0]?.n ?? 0,
    freesAt: rows.length >= limit ? (rows[limit - 1]?.created_at ?? null) : null,
  };
}

/**
 * Binds a verification reference to the person who first used it, or returns the person it is
 * already bound to. The key (country, method, reference) makes this exact under concurrency: a
 * second transaction waits for the first and then sees its row.
 */
export async function claimVerification(
  db: DbOrTx,
  use: { country: string; method: string; reference: string; personKey: string; at: Date },
): Promise<string> {
  const row = await db
    .insertInto('verification_uses')
    .values({
      country: use.country,
      method: use.method,
      reference: use.reference,
      person_key: use.personKey,
      first_used_at: use.at,
    })
    .onConflict((oc) =>
      oc
        .columns(['country', 'method', 'reference'])
        .doUpdateSet({ person_key: (eb) => eb.ref('verification_uses.person_key') }),
    )
    .returning('person_key')
    .executeTakeFirstOrThrow();
  return row.person_key;
}

export async function isAccountRepresentative(
  db: DbOrTx,
  { accountId, personKey }: { accountId: string; personKey: string },
): Promise<boolean> {
  const row = await db
    .selectFrom('exempt_account_representatives')
    .select('person_key')
    .where('account_id', '=', accountId)
    .where('person_key', '=', personKey)
    .executeTakeFirst();
  return row !== undefined;
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

/**
 * Whether any registration, of any status, ever used this ICCID (SIM cards are single-use). Every
 * used ICCID has a row outside the legacy repeats, so the single-use index answers alone.
 */
export async function iccidUsed(db: DbOrTx, { iccid }: { iccid: string }): Promise<boolean> {
  const row = await db
    .selectFrom('registrations')
    .select('id')
    .where('iccid', '=', iccid)
    .where(sql<boolean>`not iccid_legacy_reuse`)
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

/**
 * Every table other than `persons` with a `person_key` column (registrations, alerts, and any a
 * later feature adds), so merging two persons moves all that points at them.
 */
export async function tablesWithPersonKey(db: DbOrTx): Promise<string[]> {
  const { rows } = await sql<{ table_name: string }>`
    select c.table_name from information_schema.columns c
    join information_schema.tables t
      on t.table_schema = c.table_schema and t.table_name = c.table_name
    where c.table_schema = current_schema() and c.column_name = 'person_key'
      and t.table_type = 'BASE TABLE' and c.table_name <> 'persons'
    order by c.table_name`.execute(db);
  return rows.map((r) => r.table_name);
}

export interface OverCapPerson {
  personKey: string;
  country: string;
  /** Null when the national cap is not exceeded (or the country has none). */
  national: { count: number; limit: number } | null;
  operators: { operatorId: string; count: number; limit: number }[];
}

/** Persons holding more active, person-counted SIMs than a cap of the country allows. */
export async function findOverCapPersons(db: DbOrTx): Promise<OverCapPerson[]> {
  const { rows } = await sql<{
    person_key: string;
    country: string;
    operator_id: string | null;
    count: number;
    limit: number;
  }>`
    with active as (
      select person_key, country, operator_id from registrations
      where status = 'active' and exempt_account_id is null
    )
    select a.person_key, a.country, a.operator_id, count(*)::int as count, c.per_operator as limit
    from active a join sim_caps c on c.country = a.country
    group by a.person_key, a.country, a.operator_id, c.per_operator
    having count(*) > c.per_operator
    union all
    select a.person_key, a.country, null, count(*)::int, c.national
    from active a join sim_caps c on c.country = a.country
    where c.national is not null
    group by a.person_key, a.country, c.national
    having count(*) > c.national
    order by 1, 2, 3 nulls first`.execute(db);
  const persons = new Map<string, OverCapPerson>();
  for (const r of rows) {
    const id = `${r.person_key}|${r.country}`;
    const person = persons.get(id) ?? {
      personKey: r.person_key,
      country: r.country,
      national: null,
      operators: [],
    };
    if (r.operator_id === null) person.national = { count: r.count, limit: r.limit };
    else person.operators.push({ operatorId: r.operator_id, count: r.count, limit: r.limit });
    persons.set(id, person);
  }
  return [...persons.values()];
}

/**
 * Before persons merge: a human named as an account's representative under several old keys
 * keeps one row per account (the surviving key's, else the first old key's, which then moves).
 */
export async function dropRepeatedRepresentatives(
  db: DbOrTx,
  { key, moved }: { key: string; moved: string[] },
): Promise<void> {
  await sql`
    delete from exempt_account_representatives r
    where r.person_key in (${sql.join(moved)})
      and exists (
        select 1 from exempt_account_representatives s
        where s.account_id = r.account_id
          and s.person_key in (${sql.join([key, ...moved])})
          and (s.person_key = ${key} or s.person_key < r.person_key))`.execute(db);
}

/** The sealed identity fields of a person, to check a caller's claim against. */
export async function findSealedPerson(db: DbOrTx, { personKey }: { personKey: string }) {
  return db
    .selectFrom('persons')
    .select(['person_key', 'full_name_sealed', 'date_of_birth_sealed'])
    .where('person_key', '=', personKey)
    .executeTakeFirst();
}

/** Active registrations and those made in the last 24 h, per operator, for the dashboard. */
export async function registrationCounts(db: DbOrTx, { now }: { now: Date }) {
  const since = new Date(now.getTime() - 24 * 3_600_000);
  return db
    .selectFrom('operators as o')
    .leftJoin('registrations as r', 'r.operator_id', 'o.id')
    .select([
      'o.id',
      'o.name',
      'o.country',
      sql<number>`count(r.id) filter (where r.status = 'active')::int`.as('active'),
      sql<number>`count(r.id) filter (where r.created_at >= ${since})::int`.as('last24h'),
    ])
    .where('o.kind', '=', 'operator')
    .groupBy(['o.id', 'o.name', 'o.country'])
    .orderBy('o.name')
    .execute();
}
