import type { Child, FC } from 'hono/jsx';
import type { ConsoleRole } from '../access/roles.js';
import { ServiceError } from '../platform/errors.js';
import { CATEGORIES, TLP_LEVELS, type Tlp } from '../watchlist/contract.js';
import type { WatchCtx } from '../watchlist/service.js';
import type { PageCtx } from './pages.js';
import {
  CATEGORY_TEXT,
  RULE_TEXT,
  TLP_TEXT,
  WATCHLIST_ALERT_TEXT,
  warninglistedSentence,
} from './watchlist-text.js';

/** Console roles that list, sight, review and revoke indicators; auditors only read. */
export const WATCH_WRITERS: readonly ConsoleRole[] = ['officer', 'analyst'];
export const WATCH_READERS: readonly ConsoleRole[] = ['officer', 'analyst', 'auditor'];

/** The watchlist verbs' context for the signed-in console user. */
export function consoleWatchCtx(c: PageCtx): WatchCtx {
  const deps = c.get('deps');
  const user = c.get('user');
  return {
    db: deps.db,
    now: deps.clock(),
    country: deps.config.SIMLINE_COUNTRY,
    actor: { kind: 'user', userId: user.id, role: user.role },
  };
}

export const canWrite = (c: PageCtx) => WATCH_WRITERS.includes(c.get('user').role);

/** A form's failure: a summary, and plain sentences keyed by the field they are about. */
export interface FormFailure {
  message: string;
  fields: Record<string, string[]>;
}

/** Plain sentences for the contract's validation failures, by field. */
const FIELD_HINTS: Record<string, string> = {
  type: 'Choose what kind of indicator this is.',
  value: 'Enter the value to list.',
  bankCode: "Enter the bank's code (at most 20 characters).",
  category: 'Choose a category.',
  confidence: 'Enter a whole number from 0 (a guess) to 100 (confirmed).',
  tlp: 'Choose a TLP marking.',
  shareWith:
    'Enter two-letter country codes separated by commas (for example LA, TH), or * for every partner, not both.',
  description: 'Say why it is listed (1 to 2000 characters).',
  caseRef: 'A case reference has at most 200 characters.',
  kind: 'Choose seen or false positive.',
  note: 'Write a note (at most 2000 characters).',
  reason: 'Write the reason (1 to 2000 characters).',
  decision: 'Choose reinstate or revoke.',
};

/**
 * Turns a verb's refusal into sentences next to the fields: each `invalid_indicator` rule and
 * `warninglisted` in words, contract failures by field. Other errors are a summary only.
 */
export function formFailure(
  err: unknown,
  hints: Record<string, string> = FIELD_HINTS,
): FormFailure {
  if (!(err instanceof ServiceError)) throw err;
  const fields: Record<string, string[]> = {};
  const add = (field: string, sentence: string) => {
    const list = fields[field] ?? [];
    if (!list.includes(sentence)) list.push(sentence);
    fields[field] = list;
  };
  if (err.code === 'invalid_indicator') {
    const rule = RULE_TEXT[String(err.extra.rule)];
    add(rule?.field ?? 'value', rule?.sentence ?? err.detail);
    return { message: 'The value is not valid for its type.', fields };
  }
  if (err.code === 'warninglisted') {
    add('value', warninglistedSentence(err.extra.reason as string | undefined));
    return { message: 'This value cannot be listed.', fields };
  }
  const errors = (err.extra as { errors?: { path: string; message: string }[] }).errors;
  if (err.code === 'validation_failed' && errors) {
    for (const e of errors) {
      const field = e.path.split('.')[0] ?? '';
      if (field === 'validUntil') add(field, `The validity ${e.message}.`);
      else add(field, hints[field] ?? e.message);
    }
    return { message: 'Some fields need correcting.', fields };
  }
  return { message: err.detail, fields };
}

/** The refusal's own HTTP status (400, 403, 404, 409, 422) for the page that shows it. */
export function failureStatus(err: unknown): 400 | 403 | 404 | 409 | 422 {
  const status = err instanceof ServiceError ? err.status : 400;
  return status === 403 || status === 404 || status === 409 || status === 422 ? status : 400;
}

/** The sentences about one field, tied to it by `aria-describedby` (`<id>-error`). */
export const FieldError: FC<{ id: string; failure?: FormFailure }> = ({ id, failure }) => {
  const list = failure?.fields[id];
  return list && list.length > 0 ? (
    <p class="field-error" id={`${id}-error`}>
      {list.join(' ')}
    </p>
  ) : null;
};

/** The attributes that mark a field invalid and point at its sentences. */
export function invalidAttrs(id: string, failure?: FormFailure) {
  return failure?.fields[id] ? { 'aria-invalid': 'true', 'aria-describedby': `${id}-error` } : {};
}

/** A table shown as one card a row on narrow screens; each cell's `data-label` names it. */
export const CardTable: FC<{ id?: string; headers: readonly string[]; children: Child }> = ({
  id,
  headers,
  children,
}) => (
  <div class="scroll">
    <table id={id} class="cards">
      <thead>
        <tr>
          {headers.map((h) => (
            <th>{h}</th>
          ))}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  </div>
);

/** A labelled input and its sentences; the failure names the field by the input's `id`. */
export const InputField: FC<{
  id: string;
  name?: string;
  label: string;
  value: string;
  failure?: FormFailure;
  type?: string;
  attrs?: Record<string, string>;
}> = ({ id, name = id, label, value, failure, type = 'text', attrs = {} }) => (
  <>
    <label for={id}>{label}</label>
    <input
      type={type}
      id={id}
      name={name}
      {...attrs}
      value={value}
      {...invalidAttrs(id, failure)}
    />
    <FieldError id={id} failure={failure} />
  </>
);

/** A labelled textarea and its sentences; the failure names the field by its `name`. */
export const TextareaField: FC<{
  id: string;
  name?: string;
  label: string;
  value: string;
  failure?: FormFailure;
}> = ({ id, name = id, label, value, failure }) => (
  <>
    <label for={id}>{label}</label>
    <textarea id={id} name={name} {...invalidAttrs(name, failure)}>
      {value}
    </textarea>
    <FieldError id={name} failure={failure} />
  </>
);

/** A TLP 2.0 label in FIRST's colours (coloured text on black). */
export const TlpBadge: FC<{ tlp: string }> = ({ tlp }) => (
  <span class={`tlp tlp-${tlp.replace('+', '-')}`} title={TLP_TEXT[tlp as Tlp]}>
    TLP:{tlp.toUpperCase()}
  </span>
);

/** An indicator's status; its own colours, since a suspended listing is not a success. */
export const StatusBadge: FC<{ status: string }> = ({ status }) => (
  <span class={`badge w-${status}`}>{status}</span>
);

export const CategoryLabel: FC<{ category: string }> = ({ category }) => (
  <span title={CATEGORY_TEXT[category as keyof typeof CATEGORY_TEXT]?.explain}>
    {CATEGORY_TEXT[category as keyof typeof CATEGORY_TEXT]?.label ?? category}
  </span>
);

const sentence = (s: string) => `${s.charAt(0).toUpperCase()}${s.slice(1)}`;

/** What the words on the watchlist pages mean: categories, TLP markings and alerts. */
export const Glossary: FC<{ open?: boolean }> = ({ open }) => (
  <details class="card" id="glossary" open={open}>
    <summary>
      <strong>What the categories, markings and alerts mean</strong>
    </summary>
    <div class="grid glossary">
      <div>
        <h2>Categories</h2>
        <dl class="facts">
          {CATEGORIES.map((k) => (
            <>
              <dt>{CATEGORY_TEXT[k].label}</dt>
              <dd>{CATEGORY_TEXT[k].explain}</dd>
            </>
          ))}
        </dl>
      </div>
      <div>
        <h2>TLP markings</h2>
        <dl class="facts">
          {TLP_LEVELS.map((t) => (
            <>
              <dt>
                <TlpBadge tlp={t} />
              </dt>
              <dd>{sentence(TLP_TEXT[t].replace(/^TLP:[A-Z+]+: /, ''))}</dd>
            </>
          ))}
        </dl>
      </div>
      <div class="wide">
        <h2>Alerts a listing raises</h2>
        <dl class="facts">
          {Object.entries(WATCHLIST_ALERT_TEXT).map(([code, t]) => (
            <>
              <dt>
                {t.label}
                <br />
                <code class="small">{code}</code>
              </dt>
              <dd>{t.explain}</dd>
            </>
          ))}
        </dl>
      </div>
    </div>
  </details>
);
