import type { Child, FC } from 'hono/jsx';
import type { OrderSummary } from '../suspensions/order-queries.js';
import { Badge, when } from './layout.js';

/**
 * Orders as the dashboard and the order list show them. `compact` (the dashboard's narrow cards)
 * drops the measure column and the version of first versions, and keeps dates on one line.
 */
export const OrderTable: FC<{ orders: OrderSummary[]; empty: string; compact?: boolean }> = ({
  orders,
  empty,
  compact = false,
}) =>
  orders.length === 0 ? (
    <p class="muted">{empty}</p>
  ) : (
    <table>
      <thead>
        <tr>
          <th>Order</th>
          <th>Zone</th>
          {!compact && <th>Measure</th>}
          <th>Period</th>
          <th>Status</th>
        </tr>
      </thead>
      <tbody>
        {orders.map((o) => (
          <tr>
            {compact ? (
              <td class="nowrap">
                <a href={`/console/orders/${o.id}`}>{o.reference}</a>
                {o.version > 1 && <span class="muted small"> v{o.version}</span>}
              </td>
            ) : (
              <td>
                <a href={`/console/orders/${o.id}`}>{o.reference}</a>{' '}
                <span class="muted small">v{o.version}</span>
              </td>
            )}
            <td>{o.zoneName}</td>
            {!compact && <td>{o.measure.replaceAll('_', ' ')}</td>}
            {compact ? (
              <td class="small">
                <span class="nowrap">{when(o.startsAt)}</span> →{' '}
                <span class="nowrap">{when(o.endsAt)}</span>
              </td>
            ) : (
              <td class="small">
                {when(o.startsAt)} → {when(o.endsAt)}
              </td>
            )}
            <td>
              <Badge value={o.status} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );

interface CellRow {
  operatorId: string;
  cellId: string;
  radio: string;
}

/** A column after the operator, cell and radio columns every cell table starts with. */
export interface CellColumn<C> {
  header: string;
  render: (cell: C) => Child;
  class?: string;
}

/** Cell sites of a zone or an order: operator, cell id, radio, then the page's own columns. */
export function CellTable<C extends CellRow>({
  cells,
  operatorName,
  columns,
}: {
  cells: C[];
  operatorName: (operatorId: string) => string | undefined;
  columns: CellColumn<C>[];
}) {
  return (
    <table>
      <thead>
        <tr>
          <th>Operator</th>
          <th>Cell</th>
          <th>Radio</th>
          {columns.map((col) => (
            <th>{col.header}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {cells.map((x) => (
          <tr>
            <td>{operatorName(x.operatorId) ?? x.operatorId}</td>
            <td>
              <code>{x.cellId}</code>
            </td>
            <td>{x.radio}</td>
            {columns.map((col) => (
              <td class={col.class}>{col.render(x)}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
