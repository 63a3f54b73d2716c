import { operatorDirectory } from '../access/queries.js';
import { COVERAGE_MODES, MEASURES } from '../suspensions/contract.js';
import { SERVICES } from '../suspensions/lifecycle.js';
import { affectedCells, type OrderView } from '../suspensions/order-queries.js';
import type { DraftOrderInput } from '../suspensions/orders.js';
import { getZone, listZones } from '../suspensions/zones.js';
import { CsrfField, Errors, Layout, PALETTE } from './layout.js';
import { type errorView, layoutUser, type PageCtx } from './pages.js';
import { ZoneMap } from './views.js';

/** The draft form's fields as typed; datetimes are `YYYY-MM-DDTHH:mm` in UTC. */
export interface FormValues {
  zoneId: string;
  measure: string;
  services: string[];
  operatorIds: string[];
  startsAt: string;
  endsAt: string;
  legalBasis: string;
  reasons: string;
  exemptCells: string;
  coverage: string;
}

export const localUtc = (iso: string) => iso.slice(0, 16);

export function fromForm(form: Record<string, string | File | (string | File)[]>): FormValues {
  const one = (k: string) => {
    const v = form[k];
    return typeof v === 'string' ? v : '';
  };
  const many = (k: string) => {
    const v = form[k];
    return (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter(
      (x): x is string => typeof x === 'string',
    );
  };
  return {
    zoneId: one('zoneId'),
    measure: one('measure'),
    services: many('services'),
    operatorIds: many('operatorIds'),
    startsAt: one('startsAt'),
    endsAt: one('endsAt'),
    legalBasis: one('legalBasis'),
    reasons: one('reasons'),
    exemptCells: one('exemptCells'),
    coverage: one('coverage') || 'inside',
  };
}

/** `datetime-local` carries no zone; the form labels it UTC, so it is read as UTC. */
function utc(v: string): string {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(v) ? `${v}:00Z` : v;
}

export function toDraft(v: FormValues): DraftOrderInput {
  return {
    zoneId: v.zoneId,
    measure: v.measure,
    services: v.services,
    operatorIds: v.operatorIds,
    startsAt: utc(v.startsAt),
    endsAt: utc(v.endsAt),
    legalBasis: v.legalBasis,
    reasons: v.reasons,
    exemptCells: v.exemptCells.split(/[\s,]+/).filter(Boolean),
    coverage: v.coverage,
  };
}

export function fromOrder(o: OrderView): FormValues {
  return {
    zoneId: o.zone.id,
    measure: o.measure,
    services: o.services,
    operatorIds: o.operatorIds,
    startsAt: localUtc(o.startsAt),
    endsAt: localUtc(o.endsAt),
    legalBasis: o.legalBasis,
    reasons: o.reasons,
    exemptCells: o.exemptCells.join('\n'),
    coverage: o.coverage,
  };
}

/** Operators with a stable colour each, for maps and legends. */
export async function colours(c: PageCtx) {
  const operators = await operatorDirectory(c.get('deps').db);
  return {
    operators,
    colour: new Map(operators.map((o, i) => [o.id, PALETTE[i % PALETTE.length] ?? '#333'])),
    name: new Map(operators.map((o) => [o.id, o.name])),
  };
}

/** The impact preview: which cells of which operators the draft would freeze if approved now. */
async function Preview({ c, v }: { c: PageCtx; v: FormValues }) {
  const db = c.get('deps').db;
  const zone = await getZone(db, { zoneId: v.zoneId });
  const cells = await affectedCells(db, {
    zone_id: zone.id,
    zone_version: zone.version,
    coverage: (COVERAGE_MODES as readonly string[]).includes(v.coverage) ? v.coverage : 'inside',
    operator_ids: v.operatorIds,
    exempt_cells: toDraft(v).exemptCells ?? [],
  });
  const { colour, name } = await colours(c);
  const byOperator = new Map<string, number>();
  for (const x of cells) byOperator.set(x.operatorId, (byOperator.get(x.operatorId) ?? 0) + 1);
  return (
    <section class="card" id="impact">
      <h2>Impact preview: {cells.length} cells</h2>
      <div class="grid">
        <ZoneMap
          geometry={zone.geometry}
          title={`Cells affected in ${zone.name}`}
          points={cells.map((x) => ({
            lon: x.lon,
            lat: x.lat,
            color: colour.get(x.operatorId) ?? '#333',
            label: `${name.get(x.operatorId)} ${x.cellId}`,
          }))}
        />
        <table>
          <thead>
            <tr>
              <th>Operator</th>
              <th>Cells</th>
            </tr>
          </thead>
          <tbody>
            {v.operatorIds.map((id) => (
              <tr>
                <td>{name.get(id) ?? id}</td>
                <td>{byOperator.get(id) ?? 0}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p class="muted small">
        Computed from the operators' current cell lists; the list is frozen when the order is
        approved.
      </p>
    </section>
  );
}

export async function OrderForm({
  c,
  v,
  action,
  title,
  error,
  preview,
}: {
  c: PageCtx;
  v: FormValues;
  action: string;
  title: string;
  error?: ReturnType<typeof errorView>;
  preview: boolean;
}) {
  const db = c.get('deps').db;
  const [zones, { operators }] = await Promise.all([listZones(db), colours(c)]);
  const maxDays = c.get('deps').config.ORDER_MAX_DAYS;
  return (
    <Layout title={title} user={layoutUser(c)} active="/console/orders">
      <h1>{title}</h1>
      <Errors message={error?.message} errors={error?.errors} />
      {preview && v.zoneId && <Preview c={c} v={v} />}
      <form class="stack card" method="post" action={action}>
        <CsrfField token={c.get('user').csrfToken} />
        <div class="row">
          <div>
            <label for="zoneId">Zone</label>
            <select id="zoneId" name="zoneId" required>
              <option value="">Choose a zone…</option>
              {zones.map((z) => (
                <option value={z.id} selected={v.zoneId === z.id}>
                  {z.name} (v{z.version}, {z.riskLevel})
                </option>
              ))}
            </select>
          </div>
          <div>
            <label for="measure">Measure</label>
            <select id="measure" name="measure">
              {MEASURES.map((m) => (
                <option value={m} selected={v.measure === m}>
                  {m.replaceAll('_', ' ')}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label for="coverage">Cells</label>
            <select id="coverage" name="coverage">
              <option value="inside" selected={v.coverage === 'inside'}>
                sites inside the zone
              </option>
              <option value="reach" selected={v.coverage === 'reach'}>
                also sites whose coverage reaches it
              </option>
            </select>
          </div>
        </div>
        <fieldset class="checks">
          <legend>Services</legend>
          {SERVICES.map((s) => (
            <label>
              <input type="checkbox" name="services" value={s} checked={v.services.includes(s)} />{' '}
              {s}
            </label>
          ))}
        </fieldset>
        <fieldset class="checks">
          <legend>Operators</legend>
          {operators.map((o) => (
            <label>
              <input
                type="checkbox"
                name="operatorIds"
                value={o.id}
                checked={v.operatorIds.includes(o.id)}
              />{' '}
              {o.name} ({o.country})
            </label>
          ))}
        </fieldset>
        <div class="row">
          <div>
            <label for="startsAt">Starts (UTC)</label>
            <input
              type="datetime-local"
              id="startsAt"
              name="startsAt"
              value={v.startsAt}
              required
            />
          </div>
          <div>
            <label for="endsAt">Ends (UTC, at most {maxDays} days later)</label>
            <input type="datetime-local" id="endsAt" name="endsAt" value={v.endsAt} required />
          </div>
        </div>
        <label for="legalBasis">Legal basis</label>
        <input type="text" id="legalBasis" name="legalBasis" value={v.legalBasis} />
        <label for="reasons">Written reasons (at least 20 characters)</label>
        <textarea id="reasons" name="reasons">
          {v.reasons}
        </textarea>
        <label for="exemptCells">
          Exempt cells (hospitals, security posts): cell ids, one per line
        </label>
        <textarea id="exemptCells" name="exemptCells">
          {v.exemptCells}
        </textarea>
        <p class="actions">
          <button class="secondary" type="submit" name="intent" value="preview">
            Preview impact
          </button>
          <button type="submit" name="intent" value="save">
            {action.endsWith('/amend') ? 'Submit amendment for approval' : 'Save draft'}
          </button>
        </p>
      </form>
    </Layout>
  );
}
