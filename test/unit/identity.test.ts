import { describe, expect, it } from 'vitest';
import { type DocumentPolicy, documentRefusal } from '../../src/registration/document-policy.js';
import type { DocumentType } from '../../src/registration/documents.js';
import {
  identify,
  numberSpace,
  type PersonDocument,
  personKey,
  personSubject,
} from '../../src/registration/identity.js';
import { td3 } from '../support/mrz.js';

const NOW = new Date('2026-11-25T10:00:00Z');
const PEPPER = Buffer.alloc(32, 7);
const THAI_ID = '1101700230708';

const holder = { fullName: 'Somchai Test', dateOfBirth: '1990-01-31', nationality: 'TH' };

function doc(over: Partial<PersonDocument>): PersonDocument {
  return {
    ...holder,
    documentType: 'national_id',
    documentCountry: 'TH',
    number: THAI_ID,
    ...over,
  };
}

describe('number spaces', () => {
  it('puts the national ID and the ID card of a country in one space, passports in their own', () => {
    expect(numberSpace('KH', 'national_id')).toBe('national');
    expect(numberSpace('KH', 'id_card')).toBe('national');
    expect(numberSpace('TH', 'passport')).toBe('passport');
    expect(numberSpace('DE', 'id_card')).toBe('id_card');
  });
});

describe('personSubject', () => {
  it('links a passport whose MRZ personal number is a valid national ID of the holder', () => {
    const passport = doc({
      documentType: 'passport',
      number: 'AA1234567',
      personalNumber: THAI_ID,
    });
    expect(personSubject(passport, NOW)).toEqual({
      country: 'TH',
      space: 'national',
      number: THAI_ID,
    });
  });

  it('leaves a passport in its own space when the personal number is not a valid national ID', () => {
    for (const personalNumber of ['1101700230709', undefined, 'ZE184226B']) {
      const passport = doc({ documentType: 'passport', number: 'AA1234567', personalNumber });
      expect(personSubject(passport, NOW)).toEqual({
        country: 'TH',
        space: 'passport',
        number: 'AA1234567',
      });
    }
  });

  it('checks the personal number as a national ID of the nationality, not of the issuer', () => {
    const passport = doc({
      documentType: 'passport',
      documentCountry: 'KH',
      nationality: 'KH',
      number: 'N12345678',
      personalNumber: THAI_ID,
    });
    expect(personSubject(passport, NOW).space).toBe('passport');
  });

  it('keys an ID card that prints the national number as the national ID', () => {
    const card = doc({
      documentType: 'id_card',
      documentCountry: 'KH',
      nationality: 'KH',
      number: '123456789',
    });
    const id = doc({ documentCountry: 'KH', nationality: 'KH', number: '123456789' });
    expect(personKey(PEPPER, personSubject(card, NOW))).toBe(
      personKey(PEPPER, personSubject(id, NOW)),
    );
  });
});

describe('identify', () => {
  it('gives a Thai passport with the national ID in its MRZ the national ID’s key', () => {
    const number = 'AA1234567';
    const passport = {
      ...holder,
      documentType: 'passport' as const,
      documentCountry: 'TH',
      documentNumber: number,
      mrz: td3({
        state: 'THA',
        number,
        nationality: 'THA',
        birth: '900131',
        expiry: '300101',
        optional: THAI_ID,
      }),
    };
    const national = {
      ...holder,
      documentType: 'national_id' as const,
      documentCountry: 'TH',
      documentNumber: '1-1017-00230-70-8',
    };
    const a = identify(passport, PEPPER, NOW);
    expect(a.personalNumber).toBe(THAI_ID);
    expect(a.personKey).toBe(identify(national, PEPPER, NOW).personKey);
  });
});

const TH: DocumentPolicy = {
  country: 'TH',
  nationalDocuments: ['national_id'],
  foreignDocuments: ['passport'],
  residentDocuments: ['national_id'],
};

describe('documentRefusal', () => {
  it.each<[string, DocumentType, string, string, string | undefined]>([
    ['a national with the national ID', 'national_id', 'TH', 'TH', undefined],
    ['a national with a passport', 'passport', 'TH', 'TH', 'national_documents'],
    ['a national with a foreign card', 'id_card', 'KH', 'TH', 'national_documents'],
    ['a foreigner with a passport', 'passport', 'KH', 'KH', undefined],
    ['a foreigner with a card of their own state', 'id_card', 'KH', 'KH', 'foreign_documents'],
    ['a foreigner with a card of a third state', 'national_id', 'LA', 'KH', 'foreign_documents'],
    ['a foreign resident with a Thai card', 'national_id', 'TH', 'MM', undefined],
    ['a foreign resident with a Thai ID card', 'id_card', 'TH', 'MM', 'resident_documents'],
  ])('%s', (_name, documentType, documentCountry, nationality, rule) => {
    expect(documentRefusal(TH, { documentType, documentCountry, nationality })?.rule).toBe(rule);
  });
});
