import { identityKey, type Keyring, seal } from '../platform/crypto.js';
import { ServiceError } from '../platform/errors.js';
import { checkDocument, type DocumentType, type SubscriberDocument } from './documents.js';

/**
 * A person is a human, not a document: documents that carry the same number of one country's
 * number space are one person. The national ID and the ID card that prints the national number
 * share the `national` space; passports are their own (`passport`), as are ID cards elsewhere.
 */
export type NumberSpace = 'national' | 'passport' | 'id_card';

/** Per country, the document types whose number is the holder's national number. */
const NATIONAL_NUMBER_DOCUMENTS: ReadonlyMap<string, ReadonlySet<DocumentType>> = new Map(
  ['KH', 'TH', 'VN', 'CN', 'MM', 'LA'].map((country) => [
    country,
    new Set<DocumentType>(['national_id', 'id_card']),
  ]),
);

export function numberSpace(country: string, type: DocumentType): NumberSpace {
  if (type === 'national_id' || NATIONAL_NUMBER_DOCUMENTS.get(country)?.has(type)) {
    return 'national';
  }
  return type;
}

/** What the person key is derived from: a document already checked, and its canonical number. */
export interface PersonDocument {
  documentType: DocumentType;
  documentCountry: string;
  nationality: string;
  fullName: string;
  dateOfBirth: string;
  /** The canonical number (`checkDocument`'s normalisedNumber). */
  number: string;
  /** A passport's MRZ personal number, fillers stripped. */
  personalNumber?: string | undefined;
}

export interface PersonSubject {
  country: string;
  space: NumberSpace;
  number: string;
}

/**
 * The canonical form of `number` as a national ID of `country`, checked by the same rules as a
 * national ID registration (the holder's birth date and name included); undefined if it is not one.
 */
export function canonicalNationalId(
  country: string,
  number: string,
  holder: Pick<PersonDocument, 'fullName' | 'dateOfBirth' | 'nationality'>,
  now: Date,
): string | undefined {
  const result = checkDocument(
    {
      documentType: 'national_id',
      documentCountry: country,
      documentNumber: number,
      fullName: holder.fullName,
      dateOfBirth: holder.dateOfBirth,
      nationality: holder.nationality,
    },
    now,
  );
  return result.ok ? result.normalisedNumber : undefined;
}

/**
 * The number space and number that name the holder. A passport whose MRZ personal number is a
 * valid national ID of the holder's nationality names that national ID's person; an ID card that
 * prints the national number names the national ID's person.
 */
export function personSubject(doc: PersonDocument, now: Date): PersonSubject {
  if (doc.documentType === 'passport' && doc.personalNumber) {
    const linked = canonicalNationalId(doc.nationality, doc.personalNumber, doc, now);
    if (linked !== undefined)
      return { country: doc.nationality, space: 'national', number: linked };
  }
  const space = numberSpace(doc.documentCountry, doc.documentType);
  if (space === 'national' && doc.documentType !== 'national_id') {
    const national = canonicalNationalId(doc.documentCountry, doc.number, doc, now);
    if (national !== undefined) return { country: doc.documentCountry, space, number: national };
    return { country: doc.documentCountry, space: doc.documentType, number: doc.number };
  }
  return { country: doc.documentCountry, space, number: doc.number };
}

/** Key = HMAC(pepper, `country|space|canonicalNumber`). */
export function personKey(pepper: Buffer, subject: PersonSubject): string {
  return identityKey(pepper, `${subject.country}|${subject.space}|${subject.number}`);
}

export interface IdentifiedPerson {
  personKey: string;
  normalisedNumber: string;
  personalNumber: string | undefined;
}

/** Offline document checks, then the person key; throws invalid_document naming the check. */
export function identify(
  subscriber: SubscriberDocument,
  pepper: Buffer,
  now: Date,
): IdentifiedPerson {
  const result = checkDocument(subscriber, now);
  if (!result.ok) {
    throw new ServiceError('invalid_document', result.detail, { check: result.check });
  }
  const personalNumber = result.mrzPersonalNumber;
  const subject = personSubject(
    { ...subscriber, number: result.normalisedNumber, personalNumber },
    now,
  );
  return {
    personKey: personKey(pepper, subject),
    normalisedNumber: result.normalisedNumber,
    personalNumber,
  };
}

/** The person's row as stored: the key and the sealed document, each sealed to its key and field. */
export function personRow(
  keyring: Keyring,
  subscriber: SubscriberDocument,
  person: IdentifiedPerson,
) {
  const aad = (field: string) => `${person.personKey}|${field}`;
  return {
    personKey: person.personKey,
    documentType: subscriber.documentType,
    documentCountry: subscriber.documentCountry,
    nationality: subscriber.nationality,
    fullNameSealed: seal(keyring, subscriber.fullName, aad('full_name')),
    documentNumberSealed: seal(keyring, person.normalisedNumber, aad('document_number')),
    dateOfBirthSealed: seal(keyring, subscriber.dateOfBirth, aad('date_of_birth')),
    personalNumberSealed:
      person.personalNumber === undefined
        ? null
        : seal(keyring, person.personalNumber, aad('personal_number')),
  };
}
