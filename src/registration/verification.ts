import { MINUTE_MS, SECOND_MS } from '../platform/time.js';
export const VERIFICATION_METHODS = ['biometric_fingerprint', 'face_liveness', 'nfc_chip'] as const;
export type VerificationMethod = (typeof VERIFICATION_METHODS)[number];

export interface VerificationPolicy {
  country: string;
  methods: string[];
  minScore: number;
  maxAgeSeconds: number;
}

export interface VerificationEvidence {
  method: VerificationMethod;
  reference: string;
  score: number;
  verifiedAt: Date;
}

/** Clock skew tolerated between the point-of-sale device and us. */
const MAX_FUTURE_SKEW_MS = MINUTE_MS;

/** Policy is data per country; there is deliberately no bypass. Returns why it fails, or null. */
export function checkEvidence(
  policy: VerificationPolicy | undefined,
  e: VerificationEvidence,
  now: Date,
): { check: string; detail: string } | null {
  if (!policy) {
    return { check: 'no_policy', detail: 'no verification policy exists for this country' };
  }
  if (!policy.methods.includes(e.method)) {
    return {
      check: 'method_not_accepted',
      detail: `${e.method} is not accepted in ${policy.country}; accepted: ${policy.methods.join(', ')}`,
    };
  }
  if (e.score < policy.minScore) {
    return {
      check: 'score_below_minimum',
      detail: `verification score ${e.score} is below the minimum ${policy.minScore}`,
    };
  }
  const age = now.getTime() - e.verifiedAt.getTime();
  if (age < -MAX_FUTURE_SKEW_MS) {
    return { check: 'verified_in_future', detail: 'verifiedAt lies in the future' };
  }
  if (age > policy.maxAgeSeconds * SECOND_MS) {
    return {
      check: 'verification_too_old',
      detail: `verification is older than the ${policy.maxAgeSeconds} s allowed in ${policy.country}`,
    };
  }
  return null;
}
