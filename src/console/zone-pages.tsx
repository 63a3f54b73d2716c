import { operatorDirectory } from '../access/queries.js';
import { InvalidError } from '../platform/errors.js';
import type { Router } from '../platform/http/app.js';
import { RISK_LEVELS } from '../suspensions/contract.js';
import { cellsForZone, getZone, listZones, saveZone, ZONE_EDITORS } from '../suspensions/zones.js';
import { Badge, CsrfField, Errors, Layout, Notice, PALETTE, when } from './layout.js';
import { errorView, layoutUser, type PageCtx, page } from './pages.js';
import { CellTable } from './tables.js';
import { Legend, type MapPoint, ZoneMap } from './views.js';

const MAX_GEOJSON_BYTES = 2_000_000;
const EXAMPLE = `{"type":"Polygon","coordinates":[[[102.56,14.10],[102.62,14.10],[102.62,14.16],[102.56,14.16],[102.56,14.10]]]}`;

/** A pasted or uploaded GeoJSON; a Feature is unwrapped to its geometry for convenience. */
async function geometryFromForm(form: Record<string, unknown>): Promise<unknown> {
  const file = form.file;
  let text = typeof form.geojson === 'string' ? form.geojson.trim() : '';
  if (file instanceof File && file.size > 0) {
    if (file.size > MAX_GEOJSON_BYTES)
      throw new InvalidError('the file is too large', [{ path: 'file', message: 'at most 2 MB' }]);
    text = (await file.text()).trim();
  }
  if (!text) return undefined;
  try {
    const parsed = JSON.parse(text) as { type?: string; geometry?: unknown };
    return parsed?.type === 'Feature' ? parsed.geometry : parsed;
  } catch {
    return text;
  }
}

interface ZoneFormValues {
  name: string;
  riskLevel: string;
  geojson: string;
}

async function zonesPage(c: PageCtx, form?: ZoneFormValues, error?: ReturnType<typeof errorView>) {
  const zones = await listZones(c.get('deps').db);
  const canEdit = ZONE_EDITORS.includes(c.get('user').role);
  return (
    <Layout title="Zones" user={layoutUser(c)} active="/console/zones">
      <h1>Zones</h1>
      <div class="grid">
        <section class="card">
          <h2>All zones ({zones.length})</h2>
          {zones.length === 0 ? (
            <p class="muted">No zone has been drawn yet.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Risk</th>
                  <th>Version</th>
                  <th>Area</th>
                </tr>
              </thead>
              <tbody>
                {zones.map((z) => (
                  <tr>
                    <td>
                      <a href={`/console/zones/${z.id}`}>{z.name}</a>
                    </td>
                    <td>
                      <Badge value={z.riskLevel} />
                    </td>
                    <td>v{z.version}</td>
                    <td>{z.areaKm2} km²</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
        {canEdit && (
          <section class="card">
            <h2>New zone</h2>
            <Errors message={error?.message} errors={error?.errors} />
            <form class="stack" method="post" action="/console/zones" enctype="multipart/form-data">
              <CsrfField token={c.get('user').csrfToken} />
              <label for="name">Name</label>
              <input type="text" id="name" name="name" value={form?.name ?? ''} required />
              <label for="riskLevel">Risk level</label>
              <select id="riskLevel" name="riskLevel">
                {RISK_LEVELS.map((r) => (
                  <option value={r} selected={(form?.riskLevel ?? 'high') === r}>
                    {r}
                  </option>
                ))}
              </select>
              <label for="geojson">GeoJSON Polygon or MultiPolygon ([lon, lat], WGS84)</label>
              <textarea class="code" id="geojson" name="geojson" placeholder={EXAMPLE}>
                {form?.geojson ?? ''}
              </textarea>
              <label for="file">…or upload a .geojson file</label>
              <input
                type="file"
                id="file"
                name="file"
                accept=".geojson,.json,application/geo+json,application/json"
              />
              <p>
                <button type="submit">Create zone</button>
              </p>
            </form>
          </section>
        )}
      </div>
    </Layout>
  );
}

export function mountZonePages(app: Router): void {
  app.get('/console/zones', page(), async (c) => c.html(await zonesPage(c)));

  const save = (redraw: boolean) => async (c: PageCtx) => {
    const form = await c.req.parseBody();
    const zoneId = redraw ? c.req.param('id') : undefined;
    const values = {
      name: String(form.name ?? ''),
      riskLevel: String(form.riskLevel ?? ''),
      geojson: typeof form.geojson === 'string' ? form.geojson : '',
    };
    const deps = c.get('deps');
    const user = c.get('user');
    try {
      const geometry = await geometryFromForm(form);
      const zone = await saveZone({
        ctx: { db: deps.db, now: deps.clock(), actor: { userId: user.id, role: user.role } },
        input: { name: values.name, riskLevel: values.riskLevel, geometry, zoneId },
      });
      return c.redirect(`/console/zones/${zone.id}?created=1`, 303);
    } catch (err) {
      if (zoneId) return zoneDetail(c, zoneId, values, errorView(err));
      return c.html(await zonesPage(c, values, errorView(err)), 400);
    }
  };
  app.post('/console/zones', page(), save(false));
  app.post('/console/zones/:id/versions', page(), save(true));

  app.get('/console/zones/:id', page(), (c) => zoneDetail(c, c.req.param('id')));
}

async function zoneDetail(
  c: PageCtx,
  zoneId: string,
  redraw?: ZoneFormValues,
  error?: ReturnType<typeof errorView>,
) {
  const db = c.get('deps').db;
  let zone: Awaited<ReturnType<typeof getZone>>;
  try {
    zone = await getZone(db, { zoneId });
  } catch (err) {
    const e = errorView(err);
    return c.html(
      <Layout title="Zone" user={layoutUser(c)} active="/console/zones">
        <Errors message={e.message} />
      </Layout>,
      404,
    );
  }
  const [inside, reach, operators] = await Promise.all([
    cellsForZone(db, { geometry: zone.geometry, coverage: 'inside' }),
    cellsForZone(db, { geometry: zone.geometry, coverage: 'reach' }),
    operatorDirectory(db),
  ]);
  const insideIds = new Set(inside.map((x) => `${x.operatorId}/${x.cellId}`));
  const colour = new Map(operators.map((o, i) => [o.id, PALETTE[i % PALETTE.length] ?? '#333']));
  const name = new Map(operators.map((o) => [o.id, o.name]));
  const points: MapPoint[] = reach.map((x) => ({
    lon: x.lon,
    lat: x.lat,
    color: colour.get(x.operatorId) ?? '#333',
    label: `${name.get(x.operatorId) ?? x.operatorId} ${x.cellId} (${x.radio}, ${x.rangeM} m)`,
    hollow: !insideIds.has(`${x.operatorId}/${x.cellId}`),
  }));
  const present = operators.filter((o) => reach.some((x) => x.operatorId === o.id));
  return c.html(
    <Layout title={zone.name} user={layoutUser(c)} active="/console/zones">
      <h1>
        {zone.name} <Badge value={zone.riskLevel} />
      </h1>
      <Notice
        message={c.req.query('created') ? `Zone saved as version ${zone.version}.` : undefined}
      />
      <div class="grid">
        <section class="card">
          <ZoneMap geometry={zone.geometry} points={points} title={`Map of ${zone.name}`} />
          <Legend
            items={present.map((o) => ({ color: colour.get(o.id) ?? '#333', label: o.name }))}
          />
          <p class="muted small">
            Filled: site inside the zone. Ring: site outside whose coverage reaches it.
          </p>
        </section>
        <section class="card">
          <dl class="facts">
            <dt>Version</dt>
            <dd>v{zone.version}</dd>
            <dt>Area</dt>
            <dd>{zone.areaKm2} km²</dd>
            <dt>Saved</dt>
            <dd>{when(zone.createdAt)}</dd>
            <dt>Cells inside</dt>
            <dd id="cells-inside">{inside.length}</dd>
            <dt>Cells reaching</dt>
            <dd>{reach.length - inside.length}</dd>
          </dl>
          {ZONE_EDITORS.includes(c.get('user').role) && (
            <p>
              <a class="button" href={`/console/orders/new?zoneId=${zone.id}`}>
                Draft an order for this zone
              </a>
            </p>
          )}
        </section>
      </div>
      {ZONE_EDITORS.includes(c.get('user').role) && (
        <details class="card" open={error !== undefined}>
          <summary>
            <strong>Redraw as version {zone.version + 1}</strong>{' '}
            <span class="muted small">(orders keep the version they were drafted on)</span>
          </summary>
          <Errors message={error?.message} errors={error?.errors} />
          <form
            class="stack"
            method="post"
            action={`/console/zones/${zone.id}/versions`}
            enctype="multipart/form-data"
          >
            <CsrfField token={c.get('user').csrfToken} />
            <div class="row">
              <div>
                <label for="name">Name</label>
                <input
                  type="text"
                  id="name"
                  name="name"
                  value={redraw?.name ?? zone.name}
                  required
                />
              </div>
              <div>
                <label for="riskLevel">Risk level</label>
                <select id="riskLevel" name="riskLevel">
                  {RISK_LEVELS.map((r) => (
                    <option value={r} selected={(redraw?.riskLevel ?? zone.riskLevel) === r}>
                      {r}
                    </option>
                  ))}
                </select>
              </div>
            </div>
            <label for="geojson">GeoJSON</label>
            <textarea class="code" id="geojson" name="geojson">
              {redraw?.geojson ?? JSON.stringify(zone.geometry)}
            </textarea>
            <label for="file">…or upload a .geojson file</label>
            <input
              type="file"
              id="file"
              name="file"
              accept=".geojson,.json,application/geo+json,application/json"
            />
            <p>
              <button type="submit">Save version {zone.version + 1}</button>
            </p>
          </form>
        </details>
      )}
      <section class="card">
        <h2>Cells ({reach.length})</h2>
        <CellTable
          cells={reach}
          operatorName={(id) => name.get(id)}
          columns={[
            {
              header: 'Position',
              render: (x) => `${x.lat.toFixed(5)}, ${x.lon.toFixed(5)}`,
              class: 'small',
            },
            { header: 'Range', render: (x) => `${x.rangeM} m` },
            {
              header: 'Where',
              render: (x) => (insideIds.has(`${x.operatorId}/${x.cellId}`) ? 'inside' : 'reaches'),
            },
          ]}
        />
      </section>
    </Layout>,
    error ? 400 : 200,
  );
}
