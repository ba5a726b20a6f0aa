// The start page's chart: bars of saves and uses per day, drawn on the server as SVG (no script,
// no external service). `dailyBars` is the geometry, a pure function of the figures; `DayChart`
// draws it, scaled to the page's width by its viewBox.

/** The drawing's size in viewBox units; the page scales it to its width. */
export const CHART_BOX = { width: 360, height: 170, left: 30, bottom: 20, top: 10 } as const;

export interface ChartDay {
  /** `YYYY-MM-DD`. */
  day: string;
  /** One value per series, in the series' order. */
  values: number[];
}

export interface Bar {
  x: number;
  y: number;
  width: number;
  height: number;
  series: number;
  day: string;
  value: number;
}

/** The top of the scale: the largest value rounded up to 1, 2 or 5 times a power of ten (1 when all are 0). */
export function scaleTop(largest: number): number {
  if (largest <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(largest));
  return [1, 2, 5, 10].map((m) => m * power).find((top) => top >= largest)!;
}

/** Each day's bars side by side, days left to right, heights to scale; a 0 has no bar. */
export function dailyBars(days: ChartDay[], seriesCount: number): { top: number; bars: Bar[] } {
  const top = scaleTop(Math.max(0, ...days.flatMap((d) => d.values)));
  const plotWidth = CHART_BOX.width - CHART_BOX.left;
  const plotHeight = CHART_BOX.height - CHART_BOX.bottom - CHART_BOX.top;
  const slot = plotWidth / Math.max(days.length, 1);
  // A fifth of each day's slot is the gap between days.
  const width = (slot * 0.8) / seriesCount;
  const bars = days.flatMap((d, i) =>
    d.values.flatMap((value, series) => {
      if (value <= 0) return [];
      const height = (value / top) * plotHeight;
      const x = CHART_BOX.left + i * slot + slot * 0.1 + series * width;
      return [{ x, y: CHART_BOX.top + plotHeight - height, width, height, series, day: d.day, value }];
    }),
  );
  return { top, bars };
}

const round = (n: number) => Math.round(n * 10) / 10;

export interface DayChartProps {
  days: ChartDay[];
  /** The series' names, in the order of `values`. */
  series: string[];
  /** What the chart shows, for screen readers. */
  label: string;
}

export function DayChart({ days, series, label }: DayChartProps) {
  const { top, bars } = dailyBars(days, series.length);
  const baseline = CHART_BOX.height - CHART_BOX.bottom;
  const first = days[0]?.day;
  const last = days.at(-1)?.day;
  return (
    <svg
      data-testid="chart"
      class="chart"
      viewBox={`0 0 ${CHART_BOX.width} ${CHART_BOX.height}`}
      role="img"
      aria-label={label}
      xmlns="http://www.w3.org/2000/svg"
    >
      <title>{label}</title>
      <line class="axis" x1={CHART_BOX.left} y1={baseline} x2={CHART_BOX.width} y2={baseline} />
      <line class="grid" x1={CHART_BOX.left} y1={CHART_BOX.top} x2={CHART_BOX.width} y2={CHART_BOX.top} />
      <text class="tick" x={CHART_BOX.left - 4} y={CHART_BOX.top + 4} text-anchor="end">
        {top}
      </text>
      <text class="tick" x={CHART_BOX.left - 4} y={baseline} text-anchor="end">
        0
      </text>
      {first && (
        <text class="tick" x={CHART_BOX.left} y={CHART_BOX.height - 4}>
          {first.slice(5)}
        </text>
      )}
      {last && (
        <text class="tick" x={CHART_BOX.width} y={CHART_BOX.height - 4} text-anchor="end">
          {last.slice(5)}
        </text>
      )}
      {bars.map((b) => (
        <rect class={`bar series-${b.series}`} x={round(b.x)} y={round(b.y)} width={round(b.width)} height={round(b.height)}>
          <title>{`${b.day} ${series[b.series]}: ${b.value}`}</title>
        </rect>
      ))}
    </svg>
  );
}
