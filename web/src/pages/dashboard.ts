// The public dashboard: InsightService.GetStats.

import { h } from "../dom";
import { insights } from "../api";
import { num, objective, pct, region, t } from "../i18n";
import { actorLink, dataTable, load, mgi, pageHeading, setTitle } from "../ui";
import type { Route } from "../route";
import type { Stats } from "../gen/capacityhub/v1/insights_pb";

function stat(label: string, value: string, testid: string, help?: string): HTMLElement {
  return h(
    "div",
    { class: "stat", "data-testid": testid },
    h("p", { class: "stat-value" }, value),
    h("p", { class: "stat-label" }, label),
    help ? h("p", { class: "stat-help" }, help) : null,
  );
}

function days(d: number): string {
  return t("dashboard.days", { n: num(d, d < 10 ? 1 : 0) });
}

function heatMap(stats: Stats): HTMLElement {
  if (!stats.unmetDemand.length) return h("p", { "data-testid": "unmet-none" }, t("dashboard.unmetNone"));
  const objectives = [...new Set(stats.unmetDemand.map((c) => c.theme))].sort((a, b) => a - b);
  const regionsSeen = [...new Set(stats.unmetDemand.map((c) => c.region))].sort();
  const cell = new Map<string, number>();
  let max = 0;
  for (const c of stats.unmetDemand) {
    cell.set(`${c.theme}|${c.region}`, c.needsWithoutOffer);
    max = Math.max(max, c.needsWithoutOffer);
  }
  return dataTable(
    t("dashboard.unmet"),
    [t("dashboard.objective"), ...regionsSeen.map(region)],
    objectives,
    (o) => [
      h("th", { scope: "row" }, objective(o)),
      ...regionsSeen.map((r) => {
        const n = cell.get(`${o}|${r}`) ?? 0;
        const level = n === 0 ? 0 : Math.max(1, Math.ceil((n / max) * 4));
        return h("td", { class: `heat-${level}` }, n ? num(n) : h("span", { class: "visually-hidden" }, "0"));
      }),
    ],
    { attrs: { class: "heat", "data-testid": "unmet-heatmap" }, caption: true },
  );
}

function outcomes(stats: Stats): HTMLElement {
  if (!stats.outcomesByMgiDimension.length) return h("p", null, t("dashboard.outcomesNone"));
  return dataTable(
    t("dashboard.outcomes"),
    [t("dashboard.dimension"), t("dashboard.outcomesCount"), t("dashboard.rating")],
    stats.outcomesByMgiDimension,
    (d) => {
      const bar = h("span", { class: "bar" });
      bar.style.width = `${Math.round((d.meanRating / 5) * 100)}%`;
      return [h("th", { scope: "row" }, mgi(d.dimension)), num(d.outcomes), [h("span", { class: "bar-track", "aria-hidden": "true" }, bar), ` ${num(d.meanRating, 1)} / 5`]];
    },
    { attrs: { "data-testid": "outcomes" } },
  );
}

function active(stats: Stats): HTMLElement {
  if (!stats.mostActivePartnerships.length) return h("p", null, t("dashboard.activeNone"));
  return dataTable(
    t("dashboard.active"),
    [t("dashboard.requester"), t("dashboard.provider"), t("dashboard.engagements"), t("dashboard.rating")],
    stats.mostActivePartnerships,
    (p) => [p.requester ? actorLink(p.requester.id) : "", p.provider ? actorLink(p.provider.id) : "", num(p.completedMatches), num(p.meanRating, 1)],
  );
}

export function dashboardPage(route: Route): Promise<void> {
  setTitle(t("dashboard.title"));
  const body = h("div", { "data-testid": "dashboard" });
  route.main.append(pageHeading(t("dashboard.title")), h("p", { class: "lead" }, t("app.tagline")), body);
  return load(
    body,
    () => insights.getStats({}, { signal: route.signal }),
    (s) => {
      const frag = [
        h("section", { "aria-labelledby": "demand-h" },
          h("h2", { id: "demand-h" }, t("dashboard.demandSupply")),
          h("p", { class: "muted" }, t("dashboard.openVsActive", { needs: num(Number(s.openNeeds)), offers: num(Number(s.activeOffers)) })),
          h("div", { class: "stats" },
            stat(t("dashboard.openNeeds"), num(Number(s.openNeeds)), "stat-open-needs"),
            stat(t("dashboard.activeOffers"), num(Number(s.activeOffers)), "stat-active-offers"),
            stat(t("dashboard.needsSubmitted"), num(Number(s.needsSubmitted)), "stat-needs-submitted"),
            stat(t("dashboard.actors"), num(Number(s.actors)), "stat-actors"),
            stat(t("dashboard.partnerships"), num(Number(s.partnerships)), "stat-partnerships"),
            stat(t("dashboard.confirmed"), num(Number(s.confirmedMatches)), "stat-confirmed"),
            stat(t("dashboard.completed"), num(Number(s.completedMatches)), "stat-completed"),
            stat(t("dashboard.matchRate"), pct(s.matchRate), "stat-match-rate", t("dashboard.matchRateHelp")),
            stat(t("dashboard.timeToMatch"), s.medianHoursToMatch > 0 ? (s.medianHoursToMatch >= 48 ? days(s.medianHoursToMatch / 24) : t("dashboard.hours", { n: num(s.medianHoursToMatch, 1) })) : t("dashboard.noneYet"), "stat-time-to-match"),
            stat(t("dashboard.waiting"), days(s.medianOpenNeedAgeDays), "stat-waiting"),
            stat(t("dashboard.meanRating"), s.meanRating > 0 ? `${num(s.meanRating, 1)} / 5` : t("dashboard.noneYet"), "stat-mean-rating"),
          ),
        ),
        h("section", { "aria-labelledby": "unmet-h" }, h("h2", { id: "unmet-h" }, t("dashboard.unmet")), h("p", { class: "muted" }, t("dashboard.unmetHelp")), heatMap(s)),
        h("section", { "aria-labelledby": "outcomes-h" }, h("h2", { id: "outcomes-h" }, t("dashboard.outcomes")), outcomes(s)),
        h("section", { "aria-labelledby": "active-h" }, h("h2", { id: "active-h" }, t("dashboard.active")), active(s)),
      ];
      queueMicrotask(() => {
        document.documentElement.dataset.ready = "dashboard";
        if (!performance.getEntriesByName("hub-ready").length) performance.mark("hub-ready");
      });
      return frag;
    },
  );
}
