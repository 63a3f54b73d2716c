import { audit } from '../platform/audit.js';
import type { Db } from '../platform/db/client.js';
import { type TxCtx, withTransaction } from '../platform/db/transaction.js';
import { InvalidError, ServiceError } from '../platform/errors.js';
import type { DocumentType, SubscriberDocument } from './documents.js';
import { findDocumentPolicy } from './queries.js';

export interface DocumentPolicy {
  country: string;
  /** Documents of the country its nationals register with. */
  nationalDocuments: string[];
  /** Documents a foreigner's own state issued (a passport: any state). */
  foreignDocuments: string[];
  /** Documents the country issues to foreign residents. */
  residentDocuments: string[];
}

/** The rule a refused document broke, as named in `document_not_accepted`. */
export type DocumentRule = 'national_documents' | 'foreign_documents' | 'resident_documents';

const DOCUMENT_TYPES: readonly DocumentType[] = ['national_id', 'id_card', 'passport'];

const named = (types: string[]) => (types.length === 0 ? 'no document' : types.join(' or '));

/**
 * Whether the country's registrations accept this holder's document: a national uses a
 * document of the country in `nationalDocuments`; a foreigner a passport or a card of their own
 * state in `foreignDocuments`, or a card of the country in `residentDocuments`.
 */
export function documentRefusal(
  policy: DocumentPolicy,
  doc: Pick<SubscriberDocument, 'documentType' | 'documentCountry' | 'nationality'>,
): { rule: DocumentRule; detail: string } | undefined {
  const { country } = policy;
  if (doc.nationality === country) {
    if (doc.documentCountry === country && policy.nationalDocuments.includes(doc.documentType)) {
      return undefined;
    }
    return {
      rule: 'national_documents',
      detail: `nationals of ${country} register with ${named(policy.nationalDocuments)} of ${country}`,
    };
  }
  if (doc.documentType !== 'passport' && doc.documentCountry === country) {
    if (policy.residentDocuments.includes(doc.documentType)) return undefined;
    return {
      rule: 'resident_documents',
      detail: `foreigners register in ${country} with ${named(policy.residentDocuments)} of ${country}`,
    };
  }
  const ownState = doc.documentType === 'passport' || doc.documentCountry === doc.nationality;
  if (ownState && policy.foreignDocuments.includes(doc.documentType)) return undefined;
  return {
    rule: 'foreign_documents',
    detail: `foreigners register in ${country} with ${named(policy.foreignDocuments)} of their own state`,
  };
}

/** Throws `document_not_accepted` naming the rule and the country when the policy refuses. */
export function acceptDocument(
  policy: DocumentPolicy | undefined,
  doc: Pick<SubscriberDocument, 'documentType' | 'documentCountry' | 'nationality'>,
  country: string,
): void {
  if (!policy) {
    throw new ServiceError('unprocessable', `no document policy is configured for ${country}`);
  }
  const refusal = documentRefusal(policy, doc);
  if (refusal) {
    throw new ServiceError('document_not_accepted', refusal.detail, {
      rule: refusal.rule,
      country,
    });
  }
}

export interface DocumentPolicyAdminCtx extends TxCtx {
  actor: string;
  now: Date;
}

function documentList(path: string, types: string[] | undefined) {
  const bad = (types ?? []).filter((t) => !DOCUMENT_TYPES.includes(t as DocumentType));
  return bad.length === 0
    ? []
    : [
        {
          path,
          message: `unknown document type(s) ${bad.join(', ')}; use ${DOCUMENT_TYPES.join(', ')}`,
        },
      ];
}

/** Changes a country's document policy; unspecified lists keep their value. Audited. */
export async function setDocumentPolicy({
  ctx,
  input,
}: {
  ctx: DocumentPolicyAdminCtx;
  input: {
    country: string;
    nationalDocuments?: string[];
    foreignDocuments?: string[];
    residentDocuments?: string[];
  };
}) {
  const country = input.country.toUpperCase();
  const issues = [
    ...(/^[A-Z]{2}$/.test(country)
      ? []
      : [{ path: 'country', message: 'must be an ISO 3166-1 alpha-2 code' }]),
    ...documentList('nationalDocuments', input.nationalDocuments),
    ...documentList('foreignDocuments', input.foreignDocuments),
    ...documentList('residentDocuments', input.residentDocuments),
  ];
  if (issues.length > 0) throw new InvalidError('invalid document policy', issues);
  return withTransaction(ctx, async (tx) => {
    const current = await findDocumentPolicy(tx, { country });
    const next = {
      country,
      national_documents: input.nationalDocuments ?? current?.nationalDocuments ?? [],
      foreign_documents: input.foreignDocuments ?? current?.foreignDocuments ?? [],
      resident_documents: input.residentDocuments ?? current?.residentDocuments ?? [],
      conservative: false,
      source: `set by ${ctx.actor}`,
      updated_at: ctx.now,
    };
    await tx
      .insertInto('document_policies')
      .values(next)
      .onConflict((oc) => oc.column('country').doUpdateSet(next))
      .execute();
    const after: DocumentPolicy = {
      country,
      nationalDocuments: next.national_documents,
      foreignDocuments: next.foreign_documents,
      residentDocuments: next.resident_documents,
    };
    await audit(tx, ctx, {
      shard: 'admin:documents',
      action: 'document_policy.set',
      subjectType: 'country',
      subjectId: country,
      outcome: 'success',
      data: { before: current ?? null, after },
    });
    return after;
  });
}

export async function listDocumentPolicies(db: Db) {
  const rows = await db.selectFrom('document_policies').selectAll().orderBy('country').execute();
  return rows.map((r) => ({
    country: r.country,
    nationalDocuments: r.national_documents,
    foreignDocuments: r.foreign_documents,
    residentDocuments: r.resident_documents,
    conservative: r.conservative,
    source: r.source,
  }));
}
