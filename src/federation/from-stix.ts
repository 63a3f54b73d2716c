/**
 * The inverse of `toStix` (src/federation/stix.ts): a STIX 2.1 indicator a partner serves, read
 * back into an indicator listing. Pure; throws `StixRefusal` naming why an object cannot be
 * imported (its pattern, marking or value), so the puller counts it and goes on.
 */
import { z } from 'zod';
import { CATEGORIES, type Category, type Tlp } from '../watchlist/contract.js';
import { type IndicatorType, normaliseIndicator } from '../watchlist/normalise.js';
import { tlpOfMarking } from './stix.js';

export class StixRefusal extends Error {
  constructor(
    readonly reason: string,
    detail: string,
  ) {
    super(detail);
    this.name = 'StixRefusal';
  }
}

const STIX_TIME = z.iso.datetime({ offset: true });
const IndicatorObject = z.object({
  type: z.literal('indicator'),
  spec_version: z.literal('2.1'),
  id: z.string().regex(/^indicator--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
  created: STIX_TIME,
  modified: STIX_TIME,
  name: z.string().optional(),
  description: z.string().max(2000).optional(),
  pattern: z.string().max(4096),
  pattern_type: z.literal('stix'),
  valid_until: STIX_TIME.optional(),
  confidence: z.number().int().min(0).max(100).optional(),
  revoked: z.boolean().optional(),
  object_marking_refs: z.array(z.string()).optional(),
  x_simline_category: z.enum(CATEGORIES).optional(),
  x_simline_share_with: z
    .array(z.string().regex(/^([A-Z]{2}|\*)$/))
    .max(20)
    .optional(),
  x_simline_source_country: z.string().regex(/^[A-Z]{2}$/),
});

export interface ImportedIndicator {
  stixId: string;
  type: IndicatorType;
  value: string;
  bankCode: string;
  category: Category;
  confidence: number;
  tlp: Tlp;
  shareWith: string[];
  validUntil: Date | null;
  description: string;
  sourceCountry: string;
  revoked: boolean;
  modified: Date;
}

/** A STIX string literal: single-quoted, `\'` and `\\` escaped. */
const LITERAL = String.raw`'((?:[^'\\]|\\['\\])*)'`;
const unquote = (s: string) => s.replace(/\\(['\\])/g, '$1');

/** Object paths of the comparison patterns `toStix` writes, by indicator type. */
const SIMPLE: Record<string, IndicatorType> = {
  'phone-number:value': 'msisdn',
  'imei:value': 'imei',
  'ipv4-addr:value': 'ip',
  'ipv6-addr:value': 'ip',
  'domain-name:value': 'domain',
  'url:value': 'url',
};
const SIMPLE_PATTERN = new RegExp(String.raw`^\[\s*([a-z0-9-]+:value)\s*=\s*${LITERAL}\s*\]$`);
const BANK_PATTERN = new RegExp(
  String.raw`^\[\s*bank-account:account_number\s*=\s*${LITERAL}\s+AND\s+bank-account:bic\s*=\s*${LITERAL}\s*\]$`,
);

/** The indicator type, value and bank code of a pattern `toStix` writes; refused otherwise. */
export function parsePattern(pattern: string): {
  type: IndicatorType;
  value: string;
  bankCode?: string;
} {
  const bank = BANK_PATTERN.exec(pattern.trim());
  if (bank)
    return {
      type: 'bank_account',
      value: unquote(bank[1] ?? ''),
      bankCode: unquote(bank[2] ?? ''),
    };
  const simple = SIMPLE_PATTERN.exec(pattern.trim());
  const type = simple?.[1] ? SIMPLE[simple[1]] : undefined;
  if (!simple || !type)
    throw new StixRefusal('unknown_pattern', `pattern not understood: ${pattern.slice(0, 120)}`);
  return { type, value: unquote(simple[2] ?? '') };
}

function tlpOf(refs: readonly string[] | undefined): Tlp {
  const levels = (refs ?? []).map(tlpOfMarking).filter((t): t is Tlp => t !== undefined);
  if (levels.length !== 1)
    throw new StixRefusal('tlp_marking', 'must carry exactly one TLP 2.0 marking definition');
  return levels[0] as Tlp;
}

/** Reads one STIX object; a value is kept in this instance's canonical form (normalise.ts). */
export function fromStix(object: unknown): ImportedIndicator {
  const parsed = IndicatorObject.safeParse(object);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new StixRefusal(
      'invalid_object',
      `not a STIX 2.1 indicator of this contract: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
    );
  }
  const o = parsed.data;
  const { type, value, bankCode } = parsePattern(o.pattern);
  let key: { value: string; bankCode: string };
  try {
    key = normaliseIndicator(type, value, bankCode);
  } catch (err) {
    throw new StixRefusal('invalid_value', `${o.id}: ${(err as Error).message}`);
  }
  const tlp = tlpOf(o.object_marking_refs);
  if (tlp === 'red') throw new StixRefusal('tlp_red', `${o.id}: TLP:RED never crosses`);
  const shareWith = [...new Set(o.x_simline_share_with ?? [])];
  return {
    stixId: o.id,
    type,
    ...key,
    category: o.x_simline_category ?? 'other',
    confidence: o.confidence ?? 50,
    tlp,
    shareWith: shareWith.includes('*') ? ['*'] : shareWith,
    validUntil: o.valid_until ? new Date(o.valid_until) : null,
    description:
      (o.description ?? o.name ?? '').trim() || `listed in ${o.x_simline_source_country}`,
    sourceCountry: o.x_simline_source_country,
    revoked: o.revoked === true,
    modified: new Date(o.modified),
  };
}
