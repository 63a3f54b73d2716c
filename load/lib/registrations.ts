import { luhnValid } from '../../src/registration/numbering.js';
import { thaiSubscriber } from '../../test/support/subjects.js';

function iccidFor(n: number): string {
  const body = `8966${String(n).padStart(14, '0')}`;
  for (let d = 0; d < 10; d++) if (luhnValid(`${body}${d}`)) return `${body}${d}`;
  throw new Error('no Luhn digit');
}

/** Unique, valid registrations for new people, numbered from 1 in this process. */
export function registrationSource(label: string) {
  let seq = 0;
  return () => {
    seq += 1;
    const msisdn = `+668${String(seq).padStart(8, '0')}`;
    const body = JSON.stringify({
      msisdn,
      iccid: iccidFor(seq),
      imsi: `52003${String(seq).padStart(10, '0')}`,
      subscriber: thaiSubscriber(),
      verification: {
        method: 'face_liveness',
        reference: `lv-${seq}`,
        score: 0.97,
        verifiedAt: new Date().toISOString(),
      },
      pointOfSale: { agentId: `agent-${seq % 500}`, outletId: `outlet-${seq % 120}` },
    });
    return {
      msisdn,
      method: 'POST' as const,
      path: '/v1/registrations',
      body,
      headers: { 'idempotency-key': `${label}-${process.pid}-${seq}` },
    };
  };
}
