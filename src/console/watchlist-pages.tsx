import type { Child } from 'hono/jsx';
import type { Router } from '../platform/http/app.js';
import { parseInput } from '../platform/parse.js';
import {
  CATEGORIES,
  type Category,
  INDICATOR_STATUSES,
  IndicatorCreateSchema,
  type IndicatorStatus,
  type IndicatorView,
  TLP_LEVELS,
} from '../watchlist/contract.js';
import { INDICATOR_TYPES, type IndicatorType } from '../watchlist/normalise.js';
import { listLifetimes } from '../watchlist/queries.js';
import { listIndicator, searchIndicators } from '../watchlist/service.js';
import { CsrfField, Errors, Layout, when } from './layout.js';
import { layoutUser, type PageCtx, page } from './pages.js';
import { mountWatchlistDetailPages } from './watchlist-detail.js';
import { CATEGORY_TEXT, TLP_TEXT, TYPE_LABELS } from './watchlist-text.js';
import {
  CardTable,
  CategoryLabel,
  canWrite,
  consoleWatchCtx,
  FieldError,
  type FormFailure,
  failureStatus,
  formFailure,
  Glossary,
  InputField,
  invalidAttrs,
  StatusBadge,
  TextareaField,
  TlpBadge,
  WATCH_READERS,
  WATCH_WRITERS,
} from './watchlist-views.js';

const PAGE_SIZE = 25;

/** The search's own sentences: its one field rule is that a value needs its type. */
const SEARCH_HINTS: Record<string, string> = {
  value: 'Choose the type too: a value is searched in the canonical form of its type.',
};

/** The listing form's fields as typed; `validUntil` is `YYYY-MM-DDTHH:mm` in UTC. */
interface ListingValues {
  type: string;
  value: string;
  bankCode: string;
  category: string;
  confidence: string;
  tlp: string;
  shareWith: string;
  validUntil: string;
  description: string;
  caseRef: string;
}

const EMPTY: ListingValues = {
  type: 'msisdn',
  value: '',
  bankCode: '',
  category: 'scam_caller',
  confidence: '70',
  tlp: 'amber',
  shareWith: '*',
  validUntil: '',
  description: '',
  caseRef: '',
};

interface SearchValues {
  type: string;
  value: string;
  bankCode: string;
  status: string;
  category: string;
  cursor: string;
}

function searchValues(c: PageCtx): SearchValues {
  const q = (k: string) => c.req.query(k)?.trim() ?? '';
  return {
    type: q('type'),
    value: q('value'),
    bankCode: q('bankCode'),
    status: q('status'),
    category: q('category'),
    cursor: q('cursor'),
  };
}

const pick = <T extends string>(list: readonly T[], v: string): T | undefined =>
  (list as readonly string[]).includes(v) ? (v as T) : undefined;

/** The form as the API's body: blanks left out, the validity read as UTC, codes split. */
function toInput(v: ListingValues): unknown {
  const shareWith = v.shareWith
    .split(/[\s,]+/)
    .map((s) => s.toUpperCase())
    .filter(Boolean);
  return {
    type: v.type,
    value: v.value,
    bankCode: v.type === 'bank_account' && v.bankCode.trim() ? v.bankCode : undefined,
    category: v.category,
    confidence: /^\d{1,3}$/.test(v.confidence.trim()) ? Number(v.confidence) : v.confidence,
    tlp: v.tlp,
    shareWith,
    validUntil: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(v.validUntil)
      ? `${v.validUntil}:00Z`
      : v.validUntil || undefined,
    description: v.description,
    caseRef: v.caseRef.trim() ? v.caseRef : undefined,
  };
}

function queryString(s: SearchValues, cursor?: string): string {
  const params = new URLSearchParams();
  for (const k of ['type', 'value', 'bankCode', 'status', 'category'] as const)
    if (s[k]) params.set(k, s[k]);
  if (cursor) params.set('cursor', cursor);
  const text = params.toString();
  return text ? `?${text}` : '';
}

const Options = ({
  values,
  selected,
  label,
  any,
}: {
  values: readonly string[];
  selected: string;
  label: (v: string) => string;
  any?: string;
}) => (
  <>
    {any !== undefined && (
      <option value="" selected={selected === ''}>
        {any}
      </option>
    )}
    {values.map((v) => (
      <option value={v} selected={selected === v}>
        {label(v)}
      </option>
    ))}
  </>
);

/** A labelled select of the listing form and its sentences. */
const SelectField = ({
  id,
  label,
  failure,
  children,
}: {
  id: string;
  label: string;
  failure?: FormFailure;
  children: Child;
}) => (
  <>
    <label for={id}>{label}</label>
    <select id={id} name={id} {...invalidAttrs(id, failure)}>
      {children}
    </select>
    <FieldError id={id} failure={failure} />
  </>
);

const IndicatorTable = ({ items }: { items: IndicatorView[] }) => (
  <CardTable
    id="indicators"
    headers={['Type', 'Value', 'Category', 'Confidence', 'TLP', 'Status', 'Valid until', 'Source']}
  >
    {items.map((i) => (
      <tr data-id={i.id}>
        <td class="small" data-label="Type">
          {TYPE_LABELS[i.type]}
        </td>
        <td class="value" data-label="Value">
          <div>
            <a href={`/console/watchlist/${i.id}`}>{i.value}</a>
            {i.bankCode && <span class="muted small"> at {i.bankCode}</span>}
          </div>
        </td>
        <td data-label="Category">
          <CategoryLabel category={i.category} />
        </td>
        <td data-label="Confidence">{i.confidence}</td>
        <td data-label="TLP">
          <TlpBadge tlp={i.tlp} />
        </td>
        <td data-label="Status">
          <StatusBadge status={i.status} />
        </td>
        <td class="small nowrap" data-label="Valid until">
          {when(i.validUntil)}
        </td>
        <td data-label="Source">{i.sourceCountry}</td>
      </tr>
    ))}
  </CardTable>
);

const ListingForm = ({
  c,
  v,
  failure,
  lifetimes,
}: {
  c: PageCtx;
  v: ListingValues;
  failure?: FormFailure;
  lifetimes: Awaited<ReturnType<typeof listLifetimes>>;
}) => (
  <section class="card" id="list-form">
    <h2>List an indicator</h2>
    <Errors message={failure?.message} />
    <form class="stack" method="post" action="/console/watchlist" novalidate>
      <CsrfField token={c.get('user').csrfToken} />
      <div class="row">
        <div>
          <SelectField id="type" label="Type" failure={failure}>
            <Options
              values={INDICATOR_TYPES}
              selected={v.type}
              label={(t) => TYPE_LABELS[t as IndicatorType]}
            />
          </SelectField>
        </div>
        <div>
          <SelectField id="category" label="Category" failure={failure}>
            <Options
              values={CATEGORIES}
              selected={v.category}
              label={(k) => CATEGORY_TEXT[k as Category].label}
            />
          </SelectField>
        </div>
      </div>
      <InputField
        id="value"
        label="Value"
        value={v.value}
        failure={failure}
        attrs={{
          placeholder:
            '+85512345678, an IMEI, an account number, 203.0.113.0/24, a domain or a URL',
        }}
      />
      <InputField
        id="bankCode"
        label="Bank code (bank accounts only: BIC or national bank code)"
        value={v.bankCode}
        failure={failure}
      />
      <div class="row">
        <div>
          <InputField
            id="confidence"
            label="Confidence (0-100)"
            type="number"
            attrs={{ min: '0', max: '100', step: '1' }}
            value={v.confidence}
            failure={failure}
          />
        </div>
        <div>
          <SelectField id="tlp" label="TLP marking" failure={failure}>
            <Options
              values={TLP_LEVELS}
              selected={v.tlp}
              label={(t) => TLP_TEXT[t as keyof typeof TLP_TEXT].split(':')[1] ?? t}
            />
          </SelectField>
        </div>
      </div>
      <InputField
        id="shareWith"
        label="Share with (country codes such as LA, TH; or * for every partner)"
        value={v.shareWith}
        failure={failure}
      />
      <InputField
        id="validUntil"
        label="Valid until (UTC; leave empty for the type's default lifetime)"
        type="datetime-local"
        value={v.validUntil}
        failure={failure}
      />
      <p class="small muted" id="lifetimes">
        {`Default lifetime, in days (maximum): ${lifetimes
          .map(
            (l) =>
              `${TYPE_LABELS[l.type as IndicatorType] ?? l.type} ${l.defaultDays} (${l.maxDays})`,
          )
          .join(' · ')}. A sighting extends it.`}
      </p>
      <TextareaField
        id="description"
        label="Description (why it is listed)"
        value={v.description}
        failure={failure}
      />
      <InputField
        id="caseRef"
        label="Case reference (optional)"
        value={v.caseRef}
        failure={failure}
      />
      <p>
        <button type="submit">List indicator</button>
      </p>
    </form>
  </section>
);

async function watchlistPage(c: PageCtx, listing?: { v: ListingValues; failure: FormFailure }) {
  const s = searchValues(c);
  let result: { items: IndicatorView[]; next: string | null } = { items: [], next: null };
  let searchFailure: FormFailure | undefined;
  try {
    result = await searchIndicators({
      ctx: consoleWatchCtx(c),
      input: {
        type: pick(INDICATOR_TYPES, s.type),
        value: s.value || undefined,
        bankCode: s.bankCode || undefined,
        status: pick<IndicatorStatus>(INDICATOR_STATUSES, s.status),
        category: pick<Category>(CATEGORIES, s.category),
        cursor: s.cursor || undefined,
        limit: PAGE_SIZE,
      },
    });
  } catch (err) {
    searchFailure = formFailure(err, SEARCH_HINTS);
  }
  /** Search fields carry a `q-` prefix so their sentences never land on the listing form. */
  const qFailure: FormFailure | undefined = searchFailure && {
    message: searchFailure.message,
    fields: Object.fromEntries(Object.entries(searchFailure.fields).map(([k, v]) => [`q-${k}`, v])),
  };
  const filtered = ['type', 'value', 'status', 'category'].some(
    (k) => s[k as keyof SearchValues] !== '',
  );
  return (
    <Layout title="Watchlist" user={layoutUser(c)} active="/console/watchlist">
      <h1>Watchlist</h1>
      <section class="card" id="search">
        <h2>Search</h2>
        <Errors message={qFailure?.message} />
        <form method="get" action="/console/watchlist" class="stack search">
          <div class="row">
            <div>
              <label for="q-type">Type</label>
              <select id="q-type" name="type">
                <Options
                  values={INDICATOR_TYPES}
                  selected={s.type}
                  label={(t) => TYPE_LABELS[t as IndicatorType]}
                  any="Any type"
                />
              </select>
            </div>
            <div>
              <InputField
                id="q-value"
                name="value"
                label="Value (any spelling; needs the type)"
                value={s.value}
                failure={qFailure}
              />
            </div>
            <div>
              <InputField
                id="q-bankCode"
                name="bankCode"
                label="Bank code"
                value={s.bankCode}
                failure={qFailure}
              />
            </div>
          </div>
          <div class="row">
            <div>
              <label for="q-status">Status</label>
              <select id="q-status" name="status">
                <Options
                  values={INDICATOR_STATUSES}
                  selected={s.status}
                  label={(x) => x}
                  any="Any status"
                />
              </select>
            </div>
            <div>
              <label for="q-category">Category</label>
              <select id="q-category" name="category">
                <Options
                  values={CATEGORIES}
                  selected={s.category}
                  label={(k) => CATEGORY_TEXT[k as Category].label}
                  any="Any category"
                />
              </select>
            </div>
            <div class="search-buttons">
              <button type="submit">Search</button>
              {filtered && (
                <a class="button secondary" href="/console/watchlist">
                  Clear
                </a>
              )}
            </div>
          </div>
        </form>
      </section>
      <section class="card" id="results">
        <h2>{filtered ? 'Matching indicators' : 'Indicators'}, newest first</h2>
        {result.items.length === 0 ? (
          <p class="muted">
            {filtered ? 'Nothing matches this search.' : 'Nothing is listed yet.'}
          </p>
        ) : (
          <IndicatorTable items={result.items} />
        )}
        <p class="actions pager">
          {s.cursor && <a href={`/console/watchlist${queryString(s)}`}>Newest</a>}
          {result.next && (
            <a href={`/console/watchlist${queryString(s, result.next)}`} rel="next">
              Older indicators
            </a>
          )}
        </p>
      </section>
      {canWrite(c) && (
        <ListingForm
          c={c}
          v={listing?.v ?? EMPTY}
          failure={listing?.failure}
          lifetimes={await listLifetimes(c.get('deps').db)}
        />
      )}
      <Glossary />
    </Layout>
  );
}

function listingValues(form: Record<string, unknown>): ListingValues {
  const one = (k: keyof ListingValues) => (typeof form[k] === 'string' ? (form[k] as string) : '');
  return {
    type: one('type'),
    value: one('value'),
    bankCode: one('bankCode'),
    category: one('category'),
    confidence: one('confidence'),
    tlp: one('tlp'),
    shareWith: one('shareWith'),
    validUntil: one('validUntil'),
    description: one('description'),
    caseRef: one('caseRef'),
  };
}

/** The watchlist pages: search and listing, the listing form, and each indicator. */
export function mountWatchlistPages(app: Router): void {
  app.get('/console/watchlist', page({ roles: WATCH_READERS }), async (c) =>
    c.html(await watchlistPage(c)),
  );

  app.post('/console/watchlist', page({ roles: WATCH_WRITERS }), async (c) => {
    const v = listingValues(await c.req.parseBody());
    try {
      const input = parseInput(IndicatorCreateSchema, toInput(v));
      const out = await listIndicator({ ctx: consoleWatchCtx(c), input });
      const done = out.created ? 'listed' : 'source_added';
      return c.redirect(`/console/watchlist/${out.indicator.id}?done=${done}`, 303);
    } catch (err) {
      const failure = formFailure(err);
      return c.html(await watchlistPage(c, { v, failure }), failureStatus(err));
    }
  });

  mountWatchlistDetailPages(app);
}
