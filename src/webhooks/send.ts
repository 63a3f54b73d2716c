import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { hostOf, isPublicAddress, safeLookup } from './url-policy.js';

export interface SendResult {
  ok: boolean;
  status: number | null;
  error: string | null;
}

/** The most of a receiver's answer read (and thrown away): only its status matters. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * One signed POST per the Standard Webhooks specification: `webhook-id`, `webhook-timestamp`
 * (seconds) and `webhook-signature` (`v1,` and the base64 HMAC-SHA256 of id.timestamp.body under
 * each secret, space-separated), signed by the `standardwebhooks` library. A 2xx answer is success; redirects are
 * not followed. Without `allowInsecure` the connection goes only to a public address checked at
 * connect time, so a name re-pointed to a private address (DNS rebinding) is refused.
 */
export function sendWebhook(opts: {
  url: string;
  /** Each signs: the current secret, and a rotated-out one during its grace period. */
  secrets: string[];
  msgId: string;
  body: string;
  at: Date;
  timeoutMs: number;
  allowInsecure: boolean;
}): Promise<SendResult> {
  const url = new URL(opts.url);
  const signature = opts.secrets
    .map((s) => new Webhook(s).sign(opts.msgId, opts.at, opts.body))
    .join(' ');
  const host = hostOf(url);
  if (!opts.allowInsecure && isIP(host) && !isPublicAddress(host))
    return Promise.resolve({ ok: false, status: null, error: `address ${host} is not public` });
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (r: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const req = client.request(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(opts.body),
          'user-agent': 'simline-webhooks/1',
          'webhook-id': opts.msgId,
          'webhook-timestamp': String(Math.floor(opts.at.getTime() / 1000)),
          'webhook-signature': signature,
        },
        agent: false,
        ...(opts.allowInsecure ? {} : { lookup: safeLookup }),
      },
      (res) => {
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_ANSWER_BYTES) res.destroy();
        });
        const status = res.statusCode ?? 0;
        const done = () =>
          finish({
            ok: status >= 200 && status < 300,
            status,
            error: status >= 200 && status < 300 ? null : `answered ${status}`,
          });
        res.on('end', done);
        res.on('close', done);
        res.on('error', done);
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      finish({ ok: false, status: null, error: `no answer within ${opts.timeoutMs} ms` });
    }, opts.timeoutMs);
    req.on('error', (err) => finish({ ok: false, status: null, error: err.message.slice(0, 500) }));
    req.end(opts.body);
  });
}
