// `/console`, the start page: what the user's store did today (saves, uses, new customers, card
// stamps added; the day in TIME_ZONE) and a chart of the last 30 days' saves and uses.
import type { FastifyPluginAsync } from "fastify";
import type { Language } from "../../platform/i18n.js";
import type { ConsoleDeps } from "../deps.js";
import { formatNumber } from "../format.js";
import { pageContext, sendPage } from "../page.js";
import { DayChart } from "./chart.js";
import { TodayService, type DayFigures } from "./service.js";
import { TODAY_WORDS, type TodayWords } from "./words.js";

function Figure({ lang, label, value, testId, detail }: { lang: Language; label: string; value: number; testId: string; detail?: string }) {
  return (
    <div class="figure">
      <dt>{label}</dt>
      <dd>
        <strong data-testid={testId}>{formatNumber(lang, value)}</strong>
        {detail && <small>{detail}</small>}
      </dd>
    </div>
  );
}

function DaysTable({ w, days }: { w: TodayWords; days: DayFigures[] }) {
  return (
    <details>
      <summary>{w.asTable}</summary>
      <div class="table-scroll">
        <table>
          <thead>
            <tr>
              <th>{w.day}</th>
              <th class="number">{w.saves}</th>
              <th class="number">{w.uses}</th>
            </tr>
          </thead>
          <tbody>
            {[...days].reverse().map((d) => (
              <tr key={d.day}>
                <td>{d.day}</td>
                <td class="number">{d.saves}</td>
                <td class="number">{d.uses}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}

export const todayRoutes =
  (deps: ConsoleDeps): FastifyPluginAsync =>
  async (app) => {
    const today = new TodayService(deps.db, deps.timeZone);

    app.get("/", { config: { role: "staff" } }, async (request, reply) => {
      const ctx = pageContext(request, reply);
      const w = TODAY_WORDS[ctx.lang];
      const f = await today.figures(ctx.user.storeId, deps.clock());
      return sendPage(request, reply, {
        title: w.title,
        body: (
          <>
            <section aria-label={w.figuresLabel(f.day)}>
              <p class="help">{f.day}</p>
              <dl class="figures">
                <Figure lang={ctx.lang} label={w.saves} value={f.saves} testId="today-saves" detail={w.amount(f.saved)} />
                <Figure lang={ctx.lang} label={w.uses} value={f.uses} testId="today-uses" detail={w.amount(f.used)} />
                <Figure lang={ctx.lang} label={w.newMembers} value={f.newMembers} testId="today-new-members" />
                <Figure lang={ctx.lang} label={w.cardStamps} value={f.cardStamps} testId="today-card-stamps" />
              </dl>
            </section>
            <section class="panel" aria-labelledby="chart-heading">
              <h2 id="chart-heading">{w.chartHeading}</h2>
              <DayChart
                days={f.days.map((d) => ({ day: d.day, values: [d.saves, d.uses] }))}
                series={w.series}
                label={w.chartLabel(f.days[0]!.day, f.day)}
              />
              <ul class="legend">
                {w.series.map((name, i) => (
                  <li key={name}>
                    <span class={`swatch series-${i}`} aria-hidden="true" /> {name}
                  </li>
                ))}
              </ul>
              <DaysTable w={w} days={f.days} />
            </section>
          </>
        ),
      });
    });
  };
