// The start page's chart, a pure function of the figures: its scale, its bars' places and heights,
// and the SVG it draws (read back as a browser would, by its elements).
import { describe, expect, it } from "vitest";
import { h } from "preact";
import { render } from "preact-render-to-string";
import { CHART_BOX, dailyBars, DayChart, scaleTop } from "../src/console/today/chart.js";

const PLOT_HEIGHT = CHART_BOX.height - CHART_BOX.bottom - CHART_BOX.top;
const BASELINE = CHART_BOX.height - CHART_BOX.bottom;

describe("the scale", () => {
  it.each([
    [0, 1],
    [1, 1],
    [2, 2],
    [3, 5],
    [7, 10],
    [10, 10],
    [11, 20],
    [40, 50],
    [51, 100],
    [999, 1000],
    [1001, 2000],
  ])("tops %i at %i", (largest, top) => expect(scaleTop(largest)).toBe(top));
});

describe("the bars", () => {
  const days = [
    { day: "2026-12-01", values: [10, 0] },
    { day: "2026-12-02", values: [5, 3] },
    { day: "2026-12-03", values: [0, 0] },
  ];
  const { top, bars } = dailyBars(days, 2);

  it("draws a bar for every value above 0, and none for a 0", () => {
    expect(top).toBe(10);
    expect(bars.map((b) => [b.day, b.series, b.value])).toEqual([
      ["2026-12-01", 0, 10],
      ["2026-12-02", 0, 5],
      ["2026-12-02", 1, 3],
    ]);
  });

  it("makes heights proportional to the values, standing on the baseline", () => {
    expect(bars.map((b) => b.height)).toEqual([PLOT_HEIGHT, PLOT_HEIGHT / 2, (PLOT_HEIGHT * 3) / 10]);
    for (const b of bars) expect(b.y + b.height).toBeCloseTo(BASELINE);
  });

  it("places days left to right, a day's series side by side, all within the drawing", () => {
    const [first, second, third] = bars;
    expect(second!.x).toBeGreaterThan(first!.x + first!.width);
    expect(third!.x).toBeCloseTo(second!.x + second!.width);
    for (const b of bars) {
      expect(b.x).toBeGreaterThanOrEqual(CHART_BOX.left);
      expect(b.x + b.width).toBeLessThanOrEqual(CHART_BOX.width);
    }
  });

  it("draws an empty month as a scale of 1 and no bars", () => {
    const empty = dailyBars(
      Array.from({ length: 30 }, (_, i) => ({ day: `2026-11-${String(i + 1).padStart(2, "0")}`, values: [0, 0] })),
      2,
    );
    expect(empty).toEqual({ top: 1, bars: [] });
  });
});

describe("the drawing", () => {
  it("is an svg with the test hook, a label, the scale, the first and last days and one rect per bar", () => {
    const svg = render(
      h(DayChart, {
        days: [
          { day: "2026-12-01", values: [4, 1] },
          { day: "2026-12-02", values: [0, 2] },
        ],
        series: ["saves", "uses"],
        label: "Saves & uses <30 days>",
      }),
    );
    expect(svg).toMatch(/^<svg [^>]*data-testid="chart"/);
    expect(svg).toContain('role="img"');
    expect(svg).toContain('aria-label="Saves &amp; uses &lt;30 days>"');
    expect(svg.match(/<rect /g)).toHaveLength(3);
    expect(svg).toContain("<title>2026-12-01 saves: 4</title>");
    expect(svg).toContain("<title>2026-12-02 uses: 2</title>");
    expect(svg).toMatch(/>5<\/text>/); // the scale's top
    expect(svg).toMatch(/>12-01<\/text>/);
    expect(svg).toMatch(/>12-02<\/text>/);
  });
});
