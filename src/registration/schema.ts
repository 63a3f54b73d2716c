import { sql } from 'drizzle-orm';
import {
  boolean,
  doublePrecision,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { operators } from '../access/schema.js';
import { ts } from '../platform/db/columns.js';

/** Caps are data: one row per country, seeded by migration, changed with `cli caps set`. */
export const simCaps = pgTable('sim_caps', {
  country: text('country').primaryKey(),
  perOperator: integer('per_operator').notNull(),
  national: integer('national'),
  coolingOffHours: integer('cooling_off_hours').notNull().default(0),
  /** True where the country publishes no hard figure and the value is our conservative default. */
  conservative: boolean('conservative').notNull().default(false),
  source: text('source').notNull(),
  updatedAt: ts('updated_at').notNull().default(sql`now()`),
});

/**
 * How many new SIMs one person may take in a rolling window, across the country's operators;
 * deregistered SIMs count, so register -> deregister -> register cannot churn numbers. Data like
 * the caps: seeded by migration, changed with `cli acquisition set`.
 */
export const simAcquisitionLimits = pgTable('sim_acquisition_limits', {
  country: text('country').primaryKey(),
  maxNewSims: integer('max_new_sims').notNull(),
  windowDays: integer('window_days').notNull(),
  /** True where the country publishes no figure and the value is our conservative default. */
  conservative: boolean('conservative').notNull().default(false),
  source: text('source').notNull(),
  updatedAt: ts('updated_at').notNull().default(sql`now()`),
});

export const verificationPolicies = pgTable('verification_policies', {
  country: text('country').primaryKey(),
  methods: text('methods').array().notNull(),
  minScore: doublePrecision('min_score').notNull(),
  maxAgeSeconds: integer('max_age_seconds').notNull(),
  updatedAt: ts('updated_at').notNull().default(sql`now()`),
});

/**
 * Which documents a person may register with in this country's own registrations, by whether
 * the holder is a national of it: data like the caps, seeded by migration, changed with
 * `cli documents set`. Document types are `national_id`, `id_card`, `passport`.
 */
export const documentPolicies = pgTable('document_policies', {
  country: text('country').primaryKey(),
  /** Documents of this country a national of it may use (e.g. only `national_id`). */
  nationalDocuments: text('national_documents').array().notNull(),
  /** Documents a foreigner may use that their own state issued (a passport: any state). */
  foreignDocuments: text('foreign_documents').array().notNull(),
  /** Documents of this country a foreigner may use (cards it issues to foreign residents). */
  residentDocuments: text('resident_documents').array().notNull(),
  /** True where the country publishes no list of documents and the value is our default. */
  conservative: boolean('conservative').notNull().default(false),
  source: text('source').notNull(),
  updatedAt: ts('updated_at').notNull().default(sql`now()`),
});

/** Approved corporate/IoT accounts: their SIMs count against the account limit, not a person's cap. */
export const capExemptAccounts = pgTable(
  'cap_exempt_accounts',
  {
    id: text('id').primaryKey(),
    operatorId: text('operator_id')
      .notNull()
      .references(() => operators.id),
    accountRef: text('account_ref').notNull(),
    kind: text('kind').notNull(),
    simLimit: integer('sim_limit').notNull(),
    approvedBy: text('approved_by').notNull(),
    createdAt: ts('created_at').notNull().default(sql`now()`),
  },
  (t) => [uniqueIndex('cap_exempt_accounts_ref_key').on(t.operatorId, t.accountRef)],
);

/** The people who may register SIMs under an exempt account, by person key (as `identify` gives). */
export const exemptAccountRepresentatives = pgTable(
  'exempt_account_representatives',
  {
    accountId: text('account_id')
      .notNull()
      .references(() => capExemptAccounts.id),
    /** Follows its person when person keys are recomputed. */
    personKey: text('person_key')
      .notNull()
      .references(() => persons.personKey, { onUpdate: 'cascade' }),
    addedBy: text('added_by').notNull(),
    addedAt: ts('added_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.personKey] })],
);

/**
 * A verification reference identifies one verification of one person: the first registration
 * that uses it binds it to its person, and its key makes that binding exact under concurrency.
 */
export const verificationUses = pgTable(
  'verification_uses',
  {
    country: text('country').notNull(),
    method: text('method').notNull(),
    reference: text('reference').notNull(),
    personKey: text('person_key').notNull(),
    firstUsedAt: ts('first_used_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.country, t.method, t.reference] })],
);

/**
 * One row per human. The key is HMAC-SHA256 of the holder's number space and canonical number
 * (see identity.ts); name, document number, birth date and a passport's MRZ personal number
 * are sealed (AES-256-GCM) under the key and the field's name. Its row lock serialises that person's
 * registrations across all operators, which is what makes the caps exact.
 */
export const persons = pgTable('persons', {
  personKey: text('person_key').primaryKey(),
  documentType: text('document_type').notNull(),
  documentCountry: text('document_country').notNull(),
  nationality: text('nationality').notNull(),
  fullNameSealed: text('full_name_sealed').notNull(),
  documentNumberSealed: text('document_number_sealed').notNull(),
  dateOfBirthSealed: text('date_of_birth_sealed').notNull(),
  /** A passport's MRZ personal number (fillers stripped), kept so a rekey can link it. */
  personalNumberSealed: text('personal_number_sealed'),
  createdAt: ts('created_at').notNull().default(sql`now()`),
  /** Set by the scorer when lines registered to this identity raise alerts (mule SIMs). */
  flaggedAt: ts('flagged_at'),
  flagReason: text('flag_reason'),
});

export const registrations = pgTable(
  'registrations',
  {
    id: text('id').primaryKey(),
    operatorId: text('operator_id')
      .notNull()
      .references(() => operators.id),
    /** The operator's country: national caps count across operators of one country. */
    country: text('country').notNull(),
    msisdn: text('msisdn').notNull(),
    iccid: text('iccid').notNull(),
    imsi: text('imsi').notNull(),
    personKey: text('person_key')
      .notNull()
      .references(() => persons.personKey),
    exemptAccountId: text('exempt_account_id').references(() => capExemptAccounts.id),
    status: text('status').notNull(),
    verificationMethod: text('verification_method').notNull(),
    verificationReference: text('verification_reference').notNull(),
    verificationScore: doublePrecision('verification_score').notNull(),
    verifiedAt: ts('verified_at').notNull(),
    posAgentId: text('pos_agent_id').notNull(),
    posOutletId: text('pos_outlet_id').notNull(),
    createdAt: ts('created_at').notNull(),
    deregisteredAt: ts('deregistered_at'),
    deregistrationReason: text('deregistration_reason'),
    quarantineUntil: ts('quarantine_until'),
    /**
     * True only on rows from before ICCIDs were single-use that repeat an earlier row's ICCID;
     * the single-use index skips them, so history is kept and every new row is checked.
     */
    iccidLegacyReuse: boolean('iccid_legacy_reuse').notNull().default(false),
  },
  (t) => [
    uniqueIndex('registrations_active_msisdn_key').on(t.msisdn).where(sql`${t.status} = 'active'`),
    /** A SIM card's ICCID is single-use: one row per ICCID, whatever its status. */
    uniqueIndex('registrations_iccid_key').on(t.iccid).where(sql`not ${t.iccidLegacyReuse}`),
    index('registrations_person_idx').on(t.personKey, t.country, t.status),
    index('registrations_msisdn_idx').on(t.msisdn, t.createdAt),
    index('registrations_operator_created_idx').on(t.operatorId, t.createdAt),
  ],
);
