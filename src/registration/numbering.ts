import { parsePhoneNumberFromString } from 'libphonenumber-js/mobile';
import { servedCountry } from './served-countries.js';

export const E164 = /^\+[1-9]\d{7,14}$/;

/** ICCIDs (ITU E.118) start with 89 and end with a Luhn check digit over the rest. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

export interface NumberingIssue {
  path: string;
  message: string;
}

/** Checks that the line belongs to the operator's country and network. */
export function checkLineIdentifiers(
  line: { msisdn: string; iccid: string; imsi: string },
  operator: { country: string; mccMnc: string[] },
): NumberingIssue[] {
  const issues: NumberingIssue[] = [];
  const plan = servedCountry(operator.country);
  if (plan) {
    /** Google's libphonenumber metadata, mobile ranges only: a landline or too short is refused. */
    const number = parsePhoneNumberFromString(line.msisdn);
    if (number?.countryCallingCode !== plan.callingCode) {
      issues.push({
        path: 'msisdn',
        message: `must be a +${plan.callingCode} number of the operator's country`,
      });
    } else if (number.country !== operator.country || !number.isValid()) {
      issues.push({
        path: 'msisdn',
        message: `must be a mobile number of the operator's country (${operator.country})`,
      });
    }
  }
  if (!/^89\d{17,18}$/.test(line.iccid) || !luhnValid(line.iccid)) {
    issues.push({
      path: 'iccid',
      message: 'must be 19-20 digits starting 89 with a valid Luhn check digit',
    });
  }
  if (plan && !plan.mccs.some((mcc) => line.imsi.startsWith(mcc))) {
    issues.push({
      path: 'imsi',
      message: `must start with the country's MCC ${plan.mccs.join(' or ')}`,
    });
  } else if (operator.mccMnc.length > 0) {
    const ok = operator.mccMnc.some((code) => line.imsi.startsWith(code.replace('-', '')));
    if (!ok)
      issues.push({ path: 'imsi', message: "must belong to one of the operator's networks" });
  }
  return issues;
}
