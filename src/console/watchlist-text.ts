import type { Category, Tlp } from '../watchlist/contract.js';
import type { IndicatorType } from '../watchlist/normalise.js';
import type { WARNING_REASONS } from '../watchlist/warninglist.js';

/** Plain-language words the watchlist pages show: one sentence per code. */

export const TYPE_LABELS: Record<IndicatorType, string> = {
  msisdn: 'Phone number',
  imei: 'Device (IMEI)',
  bank_account: 'Bank account',
  ip: 'IP address or range',
  domain: 'Domain',
  url: 'Web address (URL)',
};

export const CATEGORY_TEXT: Record<Category, { label: string; explain: string }> = {
  scam_caller: {
    label: 'Scam caller',
    explain: 'A phone number used to call or message victims as part of a scam.',
  },
  mule_account: {
    label: 'Mule account',
    explain: 'A bank account that receives or passes on money taken from scam victims.',
  },
  scam_server: {
    label: 'Scam server',
    explain:
      'A server scammers run, such as a calling gateway, a fake investment app or remote-control malware.',
  },
  phishing: {
    label: 'Phishing',
    explain:
      'A web site or address that imitates a bank, an agency or a shop to steal logins, card numbers or money.',
  },
  sim_farm_device: {
    label: 'SIM-farm device',
    explain:
      'A handset or modem that runs many SIM cards at once to send scam calls and messages in bulk.',
  },
  other: {
    label: 'Other',
    explain: 'Linked to scams but in none of the other categories; the description says how.',
  },
};

/** TLP 2.0 (FIRST): what each marking lets a recipient do, and what simline does with it. */
export const TLP_TEXT: Record<Tlp, string> = {
  clear:
    'TLP:CLEAR: no limit on disclosure; may be shared with anyone, and with every partner in its distribution.',
  green:
    'TLP:GREEN: recipients may share it within their community (other agencies, operators and banks), not publicly.',
  amber:
    'TLP:AMBER: recipients may share it only inside their organisation and with clients who need it to protect themselves.',
  'amber+strict':
    'TLP:AMBER+STRICT: recipients may share it only inside their own organisation; it goes to one named partner only.',
  red: 'TLP:RED: for the named recipients only; it never leaves this instance.',
};

/** What each watchlist alert means and what the operator should do about it. */
export const WATCHLIST_ALERT_TEXT: Record<string, { label: string; explain: string }> = {
  watchlist_contact: {
    label: 'Contact with a listed number',
    explain:
      'This line called, texted or was reached by a number on the watchlist. The operator should warn its customer (by SMS or a call from the operator) that the number belongs to scammers and not to send money or codes.',
  },
  watchlist_line_active: {
    label: 'Listed number is an active line',
    explain:
      'A number on the watchlist is an active line on this network. The operator should suspend the line within 24 hours, as the Thai rules give, and re-check who registered it.',
  },
  watchlist_device: {
    label: 'Listed device in use',
    explain:
      'A device (IMEI) on the watchlist made or received this traffic. The operator should review every line used in that device and suspend those used for scams, as for a SIM farm.',
  },
  watchlist_server: {
    label: 'Listed server or site reached',
    explain:
      'This line connected to a listed server, domain or web address. The operator should warn its customer that the site is a scam and that logins or apps from it may be compromised.',
  },
};

/** Sentences for the `invalid_indicator` rules, and the form field each one is about. */
export const RULE_TEXT: Record<string, { field: 'value' | 'bankCode'; sentence: string }> = {
  msisdn_e164: {
    field: 'value',
    sentence:
      'Enter the phone number in international form, starting with + and the country code (for example +85512345678).',
  },
  imei_digits: { field: 'value', sentence: 'An IMEI has 14 or 15 digits.' },
  imei_luhn: {
    field: 'value',
    sentence:
      'The last digit of this IMEI is not its check digit: check the number was copied in full.',
  },
  bank_account_chars: {
    field: 'value',
    sentence: 'An account number has 4 to 34 digits or letters (spaces and dashes are ignored).',
  },
  bank_code: {
    field: 'bankCode',
    sentence:
      "Enter the bank's code: its BIC (8 or 11 characters) or its national bank code (2 to 11 digits or letters).",
  },
  ip_syntax: {
    field: 'value',
    sentence:
      'Enter an IPv4 address (such as 203.0.113.7) or an IPv6 address, optionally with /prefix.',
  },
  cidr_prefix: {
    field: 'value',
    sentence: 'The number after / must be 0 to 32 for IPv4 and 0 to 128 for IPv6.',
  },
  cidr_host_bits: {
    field: 'value',
    sentence:
      'A range must start at its first address (for example 203.0.113.0/24, not 203.0.113.7/24).',
  },
  domain_idna: {
    field: 'value',
    sentence: 'Enter a domain name only, such as scam-bank.example, without http:// or a path.',
  },
  url_syntax: {
    field: 'value',
    sentence: 'Enter the full web address, starting with http:// or https://.',
  },
  url_scheme: { field: 'value', sentence: 'Only http:// and https:// addresses can be listed.' },
  value_length: { field: 'value', sentence: 'The value is too long (at most 2048 characters).' },
};

export const WARNING_TEXT: Record<(typeof WARNING_REASONS)[number], string> = {
  verified_bank: "a bank's verified hotline",
  government_hotline: 'a government hotline',
  operator_hotline: "an operator's hotline",
  approved_bulk_caller: 'an operator-approved bulk caller',
};

/** The refusal of a warninglisted value, in words. */
export function warninglistedSentence(reason: string | undefined): string {
  const what = WARNING_TEXT[reason as keyof typeof WARNING_TEXT] ?? 'a verified legitimate number';
  return `This is ${what}, on the warninglist, so it cannot be listed. Scammers often fake such numbers: list the number that actually called, or the account the money went to.`;
}

export const STATUS_TEXT: Record<string, string> = {
  active: 'Matches live traffic until it expires.',
  suspended: 'Reported as a false positive: not matched until its owner reviews it.',
  revoked: 'Withdrawn: no longer matched or shared.',
};

/** Audit actions on an indicator, in words, for its history. */
export const ACTION_TEXT: Record<string, string> = {
  'watchlist.listed': 'listed',
  'watchlist.source_added': 'listed again by another source',
  'watchlist.read': 'viewed',
  'watchlist.searched': 'found in a search',
  'watchlist.seen': 'sighting: seen',
  'watchlist.false_positive': 'sighting: false positive',
  'watchlist.suspended': 'suspended pending review',
  'watchlist.reinstated': 'reinstated after review',
  'watchlist.revoked': 'revoked',
};
