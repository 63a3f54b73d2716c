import { listPartners } from '../federation/partners.js';
import type { Router } from '../platform/http/app.js';
import { Badge, Layout, when } from './layout.js';
import { layoutUser, page } from './pages.js';

/** "4.2 s", "1 min 5 s": a lag as people read it. */
function seconds(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/**
 * Partner sync status: each partner country, and for the ones this instance pulls, how late
 * their listings become usable here, what was imported, and the last error.
 */
export function mountPartnerPages(app: Router) {
  app.get('/console/partners', page(), async (c) => {
    const partners = await listPartners(c.get('deps').db);
    return c.html(
      <Layout title="Partners" user={layoutUser(c)} active="/console/partners">
        <h1>Partners</h1>
        <p class="muted">
          Other countries' instances. Each reads this instance's indicators within their
          distribution; those with a pull send theirs here. Lag is the time from a change at the
          partner to its use in matching here (median and 95th percentile of the recent ones).
        </p>
        <section class="card">
          {partners.length === 0 ? (
            <p class="muted">No partners yet: add one with `simline partners add`.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th>Country</th>
                  <th>Partner</th>
                  <th>Lag p50 / p95</th>
                  <th>Imported · updated · revoked · refused</th>
                  <th>Last success</th>
                  <th>Last error</th>
                </tr>
              </thead>
              <tbody>
                {partners.map((p) => (
                  <tr>
                    <td>{p.country}</td>
                    <td>{p.name}</td>
                    {p.pull ? (
                      <>
                        <td class="nowrap">
                          {seconds(p.pull.lag.p50Ms)} / {seconds(p.pull.lag.p95Ms)}
                        </td>
                        <td>
                          {p.pull.counts.imported} · {p.pull.counts.updated} ·{' '}
                          {p.pull.counts.revoked} · {p.pull.counts.refused}
                        </td>
                        <td class="small">{when(p.pull.lastSuccessAt)}</td>
                        <td class="small">
                          {p.pull.lastError ? (
                            <>
                              <Badge value="error" /> {when(p.pull.lastErrorAt)}
                              <br />
                              <code>{p.pull.lastError}</code>
                            </>
                          ) : (
                            '—'
                          )}
                        </td>
                      </>
                    ) : (
                      <td colspan={4} class="muted small">
                        Reads from us only; not pulled.
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      </Layout>,
    );
  });
}
