// The public dashboard: InsightService.GetStats.

import { h, scroller } from "../dom";
import { insights } from "../api";
import { num, objective, pct, region, t } from "../i18n";
import { actorLink, load, mgi, pageHeading, setTitle } from "../ui";
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
  const table = h(
    "table",
    { class: "heat", "data-testid": "unmet-heatmap" },
    h("caption", { class: "visually-hidden" }, t("dashboard.unmet")),
    h("thead", null, h("tr", null, h("th", { scope: "col" }, t("dashboard.objective")), ...regionsSeen.map((r) => h("th", { scope: "col" }, region(r))))),
  );
  const body = h("tbody");
  for (const o of objectives) {
    const row = h("tr", null, h("th", { scope: "row" }, objective(o)));
    for (const r of regionsSeen) {
      const n = cell.get(`${o}|${r}`) ?? 0;
      const level = n === 0 ? 0 : Math.max(1, Math.ceil((n / max) * 4));
      row.append(h("td", { class: `heat-${level}` }, n ? num(n) : h("span", { class: "visually-hidden" }, "0")));
    }
    body.append(row);
  }
  table.append(body);
  return scroller(t("dashboard.unmet"), table);
}

function outcomes(stats: Stats): HTMLElement {
  if (!stats.outcomesByMgiDimension.length) return h("p", null, t("dashboard.outcomesNone"));
  const table = h(
    "table",
    { "data-testid": "outcomes" },
    h("thead", null, h("tr", null, h("th", { scope: "col" }, t("dashboard.dimension")), h("th", { scope: "col" }, t("dashboard.outcomesCount")), h("th", { scope: "col" }, t("dashboard.rating")))),
  );
  const body = h("tbody");
  for (const d of stats.outcomesByMgiDimension) {
    const bar = h("span", { class: "bar" });
    bar.style.width = `${Math.round((d.meanRating / 5) * 100)}%`;
    body.append(
      h("tr", null, h("th", { scope: "row" }, mgi(d.dimension)), h("td", null, num(d.outcomes)), h("td", null, h("span", { class: "bar-track", "aria-hidden": "true" }, bar), ` ${num(d.meanRating, 1)} / 5`)),
    );
  }
  table.append(body);
  return scroller(t("dashboard.outcomes"), table);
}

function active(stats: Stats): HTMLElement {
  if (!stats.mostActivePartnerships.length) return h("p", null, t("dashboard.activeNone"));
  const table = h(
    "table",
    null,
    h("thead", null, h("tr", null, ...[t("dashboard.requester"), t("dashboard.provider"), t("dashboard.engagements"), t("dashboard.rating")].map((x) => h("th", { scope: "col" }, x)))),
  );
  const body = h("tbody");
  for (const p of stats.mostActivePartnerships) {
    body.append(
      h("tr", null, h("td", null, p.requester ? actorLink(p.requester.id) : ""), h("td", null, p.provider ? actorLink(p.provider.id) : ""), h("td", null, num(p.completedMatches)), h("td", null, num(p.meanRating, 1))),
    );
  }
  table.append(body);
  return scroller(t("dashboard.active"), table);
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
