import type { FC } from 'hono/jsx';
import { toSvg, type ZoneGeometry } from '../suspensions/geometry.js';

export interface MapPoint {
  lon: number;
  lat: number;
  color: string;
  label: string;
  /** Drawn as a ring: a site outside the zone whose coverage reaches it. */
  hollow?: boolean;
}

const WIDTH = 640;
const HEIGHT = 380;

/** The zone polygon and cell sites as inline SVG, in the zone's own projection (no tiles). */
export const ZoneMap: FC<{ geometry: ZoneGeometry; points: MapPoint[]; title: string }> = ({
  geometry,
  points,
  title,
}) => {
  const { paths, project } = toSvg(
    geometry,
    WIDTH,
    HEIGHT,
    24,
    points.map((p) => [p.lon, p.lat] as const),
  );
  return (
    <svg
      class="map"
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      role="img"
      aria-label={title}
      xmlns="http://www.w3.org/2000/svg"
    >
      <title>{title}</title>
      {paths.map((d) => (
        <path d={d} />
      ))}
      {points.map((p) => {
        const [x, y] = project(p.lon, p.lat);
        return (
          <circle
            cx={x.toFixed(1)}
            cy={y.toFixed(1)}
            r="5"
            fill={p.hollow ? 'none' : p.color}
            stroke={p.color}
            stroke-width="2"
          >
            <title>{p.label}</title>
          </circle>
        );
      })}
    </svg>
  );
};

export const Legend: FC<{ items: { color: string; label: string }[] }> = ({ items }) => (
  <p class="legend">
    {items.map((i) => (
      <span>
        <svg width="12" height="12" viewBox="0 0 12 12" aria-hidden="true">
          <circle cx="6" cy="6" r="5" fill={i.color} />
        </svg>
        {i.label}
      </span>
    ))}
  </p>
);
