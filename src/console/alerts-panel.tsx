import { listAlerts } from '../scoring/service.js';
import type { DashboardPanel } from './dashboard.js';
import { Badge, when } from './layout.js';

/** The scorer's newest open alerts across every operator: regulators see all lines. */
export const recentAlertsPanel: DashboardPanel = {
  title: 'Recent scorer alerts',
  render: async ({ deps, now }) => {
    const { items } = await listAlerts({
      ctx: { db: deps.db, viewer: { kind: 'regulator' }, now },
      input: { status: 'open', limit: 10 },
    });
    if (items.length === 0) return <p class="muted">No open alerts.</p>;
    return (
      <table>
        <thead>
          <tr>
            <th>Line</th>
            <th>Rule</th>
            <th>Score</th>
            <th>Window</th>
            <th>Raised</th>
          </tr>
        </thead>
        <tbody>
          {items.map((a) => (
            <tr>
              <td class="nowrap">{a.msisdn}</td>
              <td>
                <Badge value={a.rule} />
              </td>
              <td>{a.score.toFixed(2)}</td>
              <td class="small">
                <span class="nowrap">{when(a.windowStart)}</span> →{' '}
                <span class="nowrap">{when(a.windowEnd)}</span>
              </td>
              <td class="small nowrap">{when(a.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    );
  },
};
