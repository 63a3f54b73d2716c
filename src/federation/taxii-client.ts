/**
 * A TAXII 2.1 client for what the puller needs of a partner: discovery of the API root and the
 * readable collection, one page of objects, and posting sightings back.
 */
export const TAXII_MEDIA_TYPE = 'application/taxii+json;version=2.1';
const TIMEOUT_MS = 15_000;

export class TaxiiError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TaxiiError';
  }
}

export interface TaxiiTarget {
  apiRoot: string;
  collectionId: string;
  key: string;
}

async function call(
  url: string,
  key: string,
  init: { method?: string; body?: unknown } = {},
): Promise<{ json: unknown; headers: Headers }> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: init.method ?? 'GET',
      headers: {
        accept: TAXII_MEDIA_TYPE,
        authorization: `Bearer ${key}`,
        ...(init.body === undefined ? {} : { 'content-type': TAXII_MEDIA_TYPE }),
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new TaxiiError(
      `${init.method ?? 'GET'} ${url}: ${cause?.code ?? cause?.message ?? (err as Error).message}`,
    );
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const e = (json ?? {}) as { title?: string; code?: string; description?: string };
    const what = [e.code, e.title ?? e.description].filter(Boolean).join(' ');
    throw new TaxiiError(
      `${init.method ?? 'GET'} ${url}: HTTP ${res.status}${what ? ` ${what}` : ''}`,
    );
  }
  if (json === undefined) throw new TaxiiError(`${url}: the answer is not JSON`);
  return { json, headers: res.headers };
}

const slash = (u: string) => (u.endsWith('/') ? u : `${u}/`);

/**
 * The API root and collection to pull: from a discovery URL (its `default` API root, else its
 * first) or an API root given directly, and the first readable collection there (the one titled
 * or aliased `indicators` when there are several).
 */
export async function discover(
  url: string,
  key: string,
): Promise<{ apiRoot: string; collectionId: string }> {
  const { json } = await call(slash(url), key);
  const doc = json as { api_roots?: unknown; default?: unknown };
  let apiRoot = slash(url);
  if (Array.isArray(doc.api_roots)) {
    const chosen = typeof doc.default === 'string' ? doc.default : doc.api_roots[0];
    if (typeof chosen !== 'string') throw new TaxiiError(`${url}: discovery names no API root`);
    apiRoot = slash(new URL(chosen, slash(url)).href);
  }
  const { json: list } = await call(`${apiRoot}collections/`, key);
  const collections = ((list as { collections?: unknown }).collections ?? []) as {
    id?: string;
    title?: string;
    alias?: string;
    can_read?: boolean;
  }[];
  const readable = collections.filter((c) => c.can_read && typeof c.id === 'string');
  const chosen =
    readable.find((c) => c.alias === 'indicators' || c.title?.toLowerCase() === 'indicators') ??
    readable[0];
  if (!chosen?.id) throw new TaxiiError(`${apiRoot}: no collection this key can read`);
  return { apiRoot, collectionId: chosen.id };
}

export interface ObjectsPage {
  objects: unknown[];
  more: boolean;
  next: string | undefined;
  /** `X-TAXII-Date-Added-Last`: when the last object of the page was added. */
  dateAddedLast: Date | undefined;
}

/** One page of `GET objects`: after a `next` token, else after a date (strictly). */
export async function getObjects(
  t: TaxiiTarget,
  cursor: { next?: string; addedAfter?: Date },
  limit: number,
): Promise<ObjectsPage> {
  const q = new URLSearchParams({ limit: String(limit) });
  if (cursor.next) q.set('next', cursor.next);
  else if (cursor.addedAfter) q.set('added_after', cursor.addedAfter.toISOString());
  const { json, headers } = await call(
    `${t.apiRoot}collections/${encodeURIComponent(t.collectionId)}/objects/?${q}`,
    t.key,
  );
  const env = json as { objects?: unknown; more?: unknown; next?: unknown };
  if (env.objects !== undefined && !Array.isArray(env.objects))
    throw new TaxiiError('objects: the envelope has no objects list');
  const last = headers.get('x-taxii-date-added-last');
  return {
    objects: (env.objects as unknown[] | undefined) ?? [],
    more: env.more === true,
    next: typeof env.next === 'string' && env.next ? env.next : undefined,
    dateAddedLast: last && !Number.isNaN(Date.parse(last)) ? new Date(last) : undefined,
  };
}

/** `POST objects` of an envelope; answers the TAXII status resource. */
export async function postObjects(
  t: TaxiiTarget,
  objects: unknown[],
): Promise<{ status?: string; failure_count?: number; failures?: unknown[] }> {
  const { json } = await call(
    `${t.apiRoot}collections/${encodeURIComponent(t.collectionId)}/objects/`,
    t.key,
    { method: 'POST', body: { objects } },
  );
  return json as { status?: string; failure_count?: number; failures?: unknown[] };
}
