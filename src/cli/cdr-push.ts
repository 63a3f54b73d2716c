import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type CdrIngestResult,
  MAX_CDR_BODY_BYTES,
  MAX_CDRS_PER_REQUEST,
} from '../scoring/contract.js';

/** How many rejected records the summary lists (the API reports the first few of each post). */
export const MAX_REPORTED_ERRORS = 100;
const MAX_ATTEMPTS = 8;
const MAX_BACKOFF_MS = 30_000;

export interface PushOptions {
  file: string;
  url: string;
  apiKey: string;
  /** Records per post, at most MAX_CDRS_PER_REQUEST. */
  chunk: number;
  /** Body bytes per post, at most MAX_CDR_BODY_BYTES. */
  maxBytes?: number;
  /** Told after each post how far the push is. */
  onProgress?: (p: Progress) => void;
  /** The first wait before a retry when the server gives no Retry-After. */
  backoffMs?: number;
}

export interface Progress {
  records: number;
  bytes: number;
  totalBytes: number;
  startedAt: number;
}

export interface PushResult extends CdrIngestResult {
  file: string;
  records: number;
  posts: number;
}

/** The API refused a post for good (not a 5xx or 429): its problem document, as sent. */
export class PushRefused extends Error {
  constructor(
    readonly status: number,
    readonly problem: unknown,
    readonly firstLine: number,
  ) {
    super(`the server refused the post starting at line ${firstLine} with ${status}`);
  }
}

/** The API could not be reached, however often the post was tried. */
export class PushUnreachable extends Error {}

/** Seconds or an HTTP date, as Retry-After allows; undefined when absent or unreadable. */
function retryAfterMs(header: string | null): number | undefined {
  if (header === null) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

async function post(o: PushOptions, body: string, firstLine: number): Promise<CdrIngestResult> {
  let wait = o.backoffMs ?? 500;
  for (let attempt = 1; ; attempt++) {
    let res: Response | undefined;
    let failure: unknown;
    try {
      res = await fetch(new URL('/v1/cdrs', o.url), {
        method: 'POST',
        headers: {
          authorization: `Bearer ${o.apiKey}`,
          'content-type': 'application/x-ndjson',
        },
        body,
      });
    } catch (err) {
      failure = err;
    }
    if (res?.status === 202) return (await res.json()) as CdrIngestResult;
    const retryable = res === undefined || res.status === 429 || res.status >= 500;
    if (!retryable || attempt === MAX_ATTEMPTS) {
      if (res === undefined) {
        const cause = (failure as { cause?: { code?: string } }).cause;
        throw new PushUnreachable(
          `cannot reach ${o.url} (${cause?.code ?? (failure as Error).message}) after ${attempt} attempts`,
        );
      }
      const text = await res.text();
      let problem: unknown = text;
      try {
        problem = JSON.parse(text);
      } catch {}
      throw new PushRefused(res.status, problem, firstLine);
    }
    await res?.body?.cancel();
    await sleep(
      Math.min(MAX_BACKOFF_MS, retryAfterMs(res?.headers.get('retry-after') ?? null) ?? wait),
    );
    wait = Math.min(MAX_BACKOFF_MS, wait * 2);
  }
}

/**
 * Posts an NDJSON file of CDRs to /v1/cdrs in chunks, reading it line by line (never whole),
 * retrying a chunk on 5xx and 429, and sums the results; errors carry the file's line numbers.
 */
export async function pushCdrs(o: PushOptions): Promise<PushResult> {
  const maxBytes = Math.min(o.maxBytes ?? MAX_CDR_BODY_BYTES, MAX_CDR_BODY_BYTES);
  const chunk = Math.min(o.chunk, MAX_CDRS_PER_REQUEST);
  const totalBytes = (await stat(o.file)).size;
  const sum: PushResult = {
    file: o.file,
    records: 0,
    posts: 0,
    accepted: 0,
    rejected: 0,
    duplicates: 0,
    late: 0,
    future: 0,
    errors: [],
  };
  const progress: Progress = { records: 0, bytes: 0, totalBytes, startedAt: Date.now() };
  let lines: string[] = [];
  /** The file's line number of each line in `lines`. */
  let lineNos: number[] = [];
  let bodyBytes = 0;
  let readBytes = 0;

  const flush = async () => {
    if (lines.length === 0) return;
    const r = await post(o, lines.join('\n'), lineNos[0] as number);
    sum.posts++;
    sum.records += lines.length;
    sum.accepted += r.accepted;
    sum.rejected += r.rejected;
    sum.duplicates += r.duplicates;
    sum.late += r.late;
    sum.future += r.future;
    for (const e of r.errors)
      if (sum.errors.length < MAX_REPORTED_ERRORS)
        sum.errors.push({ line: lineNos[e.line - 1] ?? e.line, error: e.error });
    progress.records = sum.records;
    progress.bytes = readBytes;
    o.onProgress?.(progress);
    lines = [];
    lineNos = [];
    bodyBytes = 0;
  };

  const input = createReadStream(o.file);
  const reader = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let lineNo = 0;
  for await (const line of reader) {
    lineNo++;
    const size = Buffer.byteLength(line) + 1;
    if (line.trim() === '') {
      readBytes += size;
      continue;
    }
    if (lines.length >= chunk || (lines.length > 0 && bodyBytes + size > maxBytes)) await flush();
    lines.push(line);
    lineNos.push(lineNo);
    bodyBytes += size;
    readBytes += size;
  }
  readBytes = totalBytes;
  await flush();
  return sum;
}

/** One line of progress: a bar by bytes read, records sent and their rate. */
export function renderProgress(p: Progress, now: number, width = 30): string {
  const fraction = p.totalBytes === 0 ? 1 : Math.min(1, p.bytes / p.totalBytes);
  const filled = Math.round(fraction * width);
  const seconds = Math.max((now - p.startedAt) / 1000, 0.001);
  const rate = Math.round(p.records / seconds);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}% ${p.records.toLocaleString('en-US')} records ${rate.toLocaleString('en-US')} records/s`;
}
