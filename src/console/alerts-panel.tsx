import { listAlerts } from '../scoring/service.js';
import type { DashboardPanel } from './dashboard.js';
import { when } from './layout.js';
import { WATCHLIST_ALERT_TEXT } from './watchlist-text.js';
import { WATCH_READERS } from './watchlist-views.js';

/** The scorer's newest open alerts across every operator: regulators see all lines. */
export const recentAlertsPanel: DashboardPanel = {
  title: 'Recent scorer alerts',
  render: async ({ deps, user, now }) => {
    const watchReader = WATCH_READERS.includes(user.role);
    const { items } = await listAlerts({
      ctx: { db: deps.db, viewer: { kind: 'regulator' }, now },
      input: { status: 'open', limit: 10 },
    });
    if (items.length === 0) return <p class="muted">No open alerts.</p>;
    return (
      <div class="scroll">
        <table>
          <thead>
            <tr>
              <th>Line</th>
              <th>Rule</th>
              <th>Score</th>
              <th>Window ends</th>
            </tr>
          </thead>
          <tbody>
            {items.map((a) => (
              <tr>
                <td class="nowrap">{a.msisdn}</td>
                <td>
                  <code class="small">{a.rule}</code>
                  {WATCHLIST_ALERT_TEXT[a.rule] && (
                    <span class="small muted explain">
                      <br />
                      {WATCHLIST_ALERT_TEXT[a.rule]?.explain}
                      {watchReader && a.evidence.indicator && (
                        <>
                          {' '}
                          <a href={`/console/watchlist/${a.evidence.indicator.id}`}>
                            The listed indicator
                          </a>
                        </>
                      )}
                    </span>
                  )}
                </td>
                <td>{a.score.toFixed(2)}</td>
                <td class="small">{when(a.windowEnd)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    );
  },
};
