import { evidence, type LineRule, margin, scoreOf } from './rule.js';

export interface SmsBlastUrlsThresholds {
  urlSmsAtLeast: number;
  distinctRecipientsAtLeast: number;
}

/** Many SMS carrying a URL to many recipients in an hour (phishing links). */
export const smsBlastUrls: LineRule<'sms_blast_urls', SmsBlastUrlsThresholds> = {
  code: 'sms_blast_urls',
  subject: 'line',
  window: '1h',
  early: true,
  volume: true,
  defaults: { urlSmsAtLeast: 50, distinctRecipientsAtLeast: 40 },
  fields: { urlSmsAtLeast: 'count', distinctRecipientsAtLeast: 'count' },
  gate: (c, t) => c.urlSms1h >= t.urlSmsAtLeast,
  evaluate(f, t) {
    if (
      !(
        f.url_sms_sent_1h >= t.urlSmsAtLeast &&
        f.url_sms_recipients_1h >= t.distinctRecipientsAtLeast
      )
    )
      return undefined;
    return {
      rule: 'sms_blast_urls',
      score: scoreOf(margin(f.url_sms_sent_1h, t.urlSmsAtLeast)),
      evidence: [
        evidence('url_sms_sent_1h', f.url_sms_sent_1h, t.urlSmsAtLeast, '>='),
        evidence(
          'url_sms_recipients_1h',
          f.url_sms_recipients_1h,
          t.distinctRecipientsAtLeast,
          '>=',
        ),
      ],
    };
  },
};
