import { v5 as uuidv5 } from 'uuid';
import type { Category, Tlp } from '../watchlist/contract.js';
import type { IndicatorType } from '../watchlist/normalise.js';

/**
 * STIX 2.1 objects of this instance: indicators, the TLP 2.0 marking definitions they reference
 * and the identity of each country's instance. The importer of a partner's collection inverts
 * `toStix`, so its shape is a contract between instances.
 */

export const STIX_MEDIA_TYPE = 'application/stix+json;version=2.1';

/** The OASIS TLP 2.0 extension (cti-stix-common-objects, extension-definition-specifications/tlp-2.0). */
export const TLP_2_EXTENSION = 'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d';

/** The published TLP 2.0 marking-definition objects' ids, names and creation time. */
export const TLP_MARKINGS: Record<Tlp, { id: string; name: string }> = {
  clear: { id: 'marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487', name: 'TLP:CLEAR' },
  green: { id: 'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb', name: 'TLP:GREEN' },
  amber: { id: 'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421', name: 'TLP:AMBER' },
  'amber+strict': {
    id: 'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003',
    name: 'TLP:AMBER+STRICT',
  },
  red: { id: 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1', name: 'TLP:RED' },
};
const TLP_MARKINGS_CREATED = '2022-10-01T00:00:00.000Z';

export interface StixMarkingDefinition {
  type: 'marking-definition';
  spec_version: '2.1';
  id: string;
  created: string;
  name: string;
  extensions: Record<string, { extension_type: 'property-extension'; tlp_2_0: Tlp }>;
}

export function tlpMarkingDefinition(tlp: Tlp): StixMarkingDefinition {
  const m = TLP_MARKINGS[tlp];
  return {
    type: 'marking-definition',
    spec_version: '2.1',
    id: m.id,
    created: TLP_MARKINGS_CREATED,
    name: m.name,
    extensions: { [TLP_2_EXTENSION]: { extension_type: 'property-extension', tlp_2_0: tlp } },
  };
}

/** The TLP level a marking-definition id stands for, or undefined for any other id. */
export function tlpOfMarking(id: string): Tlp | undefined {
  return (Object.keys(TLP_MARKINGS) as Tlp[]).find((t) => TLP_MARKINGS[t].id === id);
}

/** Namespace of the identities of simline instances (a fixed v4 UUID, so ids never change). */
const INSTANCE_NAMESPACE = '5b3e4f0e-3c1d-4c55-9a8e-2f6f1d7c9b10';
/** When the instances' identity objects were first defined; they never change. */
const IDENTITY_CREATED = '2025-11-01T00:00:00.000Z';

/** The identity of the simline instance of `country`: the same id on every instance. */
export function instanceIdentityId(country: string): string {
  return `identity--${uuidv5(`simline-instance:${country}`, INSTANCE_NAMESPACE)}`;
}

export interface StixIdentity {
  type: 'identity';
  spec_version: '2.1';
  id: string;
  created: string;
  modified: string;
  name: string;
  identity_class: 'organization';
  sectors: string[];
  x_simline_country: string;
}

export function instanceIdentity(country: string): StixIdentity {
  return {
    type: 'identity',
    spec_version: '2.1',
    id: instanceIdentityId(country),
    created: IDENTITY_CREATED,
    modified: IDENTITY_CREATED,
    name: `simline ${country}`,
    identity_class: 'organization',
    sectors: ['government-national'],
    x_simline_country: country,
  };
}

/** The indicator columns the mapping reads (a `watchlist_indicators` row). */
export interface IndicatorSource {
  stix_id: string;
  type: string;
  value: string;
  bank_code: string;
  category: string;
  confidence: number;
  tlp: string;
  share_with: string[];
  status: string;
  valid_until: Date;
  description: string;
  source_country: string;
  created_at: Date;
  updated_at: Date;
}

export interface StixIndicator {
  type: 'indicator';
  spec_version: '2.1';
  id: string;
  created: string;
  modified: string;
  name: string;
  description: string;
  indicator_types: string[];
  pattern: string;
  pattern_type: 'stix';
  valid_from: string;
  valid_until: string;
  confidence: number;
  revoked: boolean;
  labels: string[];
  object_marking_refs: string[];
  created_by_ref: string;
  x_simline_category: Category;
  x_simline_share_with: string[];
  x_simline_source_country: string;
}

/** A string literal of the STIX patterning grammar: quotes and backslashes escaped. */
export function patternString(v: string): string {
  return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * The STIX pattern of an indicator. Where STIX 2.1 has no observable (phone numbers, IMEIs, bank
 * accounts) it uses OpenCTI's custom observables `phone-number`, `imei` and `bank-account`.
 */
export function stixPattern(type: IndicatorType, value: string, bankCode: string): string {
  switch (type) {
    case 'msisdn':
      return `[phone-number:value = ${patternString(value)}]`;
    case 'imei':
      return `[imei:value = ${patternString(value)}]`;
    case 'bank_account':
      return `[bank-account:account_number = ${patternString(value)} AND bank-account:bic = ${patternString(bankCode)}]`;
    case 'ip':
      return `[${value.includes(':') ? 'ipv6-addr' : 'ipv4-addr'}:value = ${patternString(value)}]`;
    case 'domain':
      return `[domain-name:value = ${patternString(value)}]`;
    case 'url':
      return `[url:value = ${patternString(value)}]`;
  }
}

/** STIX indicator-type-ov for each category: the harm is known except for `other`. */
const INDICATOR_TYPES: Record<Category, string[]> = {
  scam_caller: ['malicious-activity'],
  mule_account: ['malicious-activity'],
  scam_server: ['malicious-activity'],
  phishing: ['malicious-activity'],
  sim_farm_device: ['malicious-activity'],
  other: ['unknown'],
};

const TYPE_NAMES: Record<IndicatorType, string> = {
  msisdn: 'Phone number',
  imei: 'IMEI',
  bank_account: 'Bank account',
  ip: 'IP address',
  domain: 'Domain',
  url: 'URL',
};

/**
 * An indicator as a STIX 2.1 object. `revoked` is true when it no longer matches here
 * (suspended or revoked), so a partner stops matching it too. Sources' names and case
 * references stay home. `ownCountry` is this instance's: the creator of its own listings.
 */
export function toStix(r: IndicatorSource, ownCountry: string): StixIndicator {
  const type = r.type as IndicatorType;
  const category = r.category as Category;
  const value = type === 'bank_account' ? `${r.bank_code} ${r.value}` : r.value;
  return {
    type: 'indicator',
    spec_version: '2.1',
    id: r.stix_id,
    created: r.created_at.toISOString(),
    modified: r.updated_at.toISOString(),
    name: `${TYPE_NAMES[type]} ${value}`,
    description: r.description,
    indicator_types: INDICATOR_TYPES[category],
    pattern: stixPattern(type, r.value, r.bank_code),
    pattern_type: 'stix',
    valid_from: r.created_at.toISOString(),
    valid_until: r.valid_until.toISOString(),
    confidence: r.confidence,
    revoked: r.status !== 'active',
    labels: [category],
    object_marking_refs: [TLP_MARKINGS[r.tlp as Tlp].id],
    created_by_ref: instanceIdentityId(r.source_country || ownCountry),
    x_simline_category: category,
    x_simline_share_with: [...r.share_with],
    x_simline_source_country: r.source_country || ownCountry,
  };
}
