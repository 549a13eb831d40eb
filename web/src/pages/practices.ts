// The repository of practices: list with filters, and a practice's page.

import { h } from "../dom";
import { practices } from "../api";
import { objective, t } from "../i18n";
import type { Practice } from "../gen/capacityhub/v1/practices_pb";
import type { Route } from "../route";
import { actorLink, dataTable, facts, mgi, practiceLink, recordPage, themes } from "../ui";
import { when } from "../util";
import { listPage, placeFilters, textFilter } from "./listing";

export function practicesPage(route: Route): void {
  const q = route.query;
  const arg = (key: string) => q.get(key) ?? "";
  listPage(route, {
    path: "/practices",
    title: t("practices.title"),
    intro: t("practices.intro"),
    testid: "practices",
    filters: [...placeFilters(q), textFilter(q, "author")],
    fetch: async (pageToken, signal) => {
      const res = await practices.listPractices(
        { theme: Number(arg("theme")), country: arg("country"), region: arg("region"), authorId: arg("author"), pageSize: 20, pageToken },
        { signal },
      );
      return { items: res.practices, next: res.nextPageToken };
    },
    table: practiceTable,
  });
}

function practiceTable(list: Practice[]): HTMLElement {
  return dataTable(
    t("practices.title"),
    ["list.id", "list.title", "practices.author", "list.themes", "list.countries"].map((k) => t(k)),
    list,
    (p) => [
      practiceLink(p.id),
      h("a", { href: `#/practices/${encodeURIComponent(p.id)}`, lang: p.languages[0] || null }, p.title),
      actorLink(p.authorId),
      h("td", { title: themes(p.themes) }, p.themes.join(", ")),
      p.countries.join(", "),
    ],
  );
}

export async function practicePage(route: Route): Promise<void> {
  const id = route.params[0];
  await recordPage(route, t("practices.one", { id }), "practice-details", (signal) => practices.getPractice({ id }, { signal }), (p) => p.title, (p, h1) => {
    h1.setAttribute("lang", p.languages[0] || "");
    const l = p.languages[0] || null;
    return [
      facts([
        [t("list.id"), p.id],
        [t("practices.author"), actorLink(p.authorId)],
        [t("practices.partners"), p.partnerIds.length ? p.partnerIds.flatMap((x, i) => (i ? [", ", actorLink(x)] : [actorLink(x)])) : ""],
        [t("list.themes"), h("ul", { class: "plain" }, ...p.themes.map((x) => h("li", null, objective(x))))],
        [t("list.countries"), p.countries.join(", ")],
        [t("practices.dimensions"), p.mgiDimensions.map(mgi).join(", ")],
        [t("needs.languages"), p.languages.join(", ")],
        [t("needs.created"), when(p.createdAt)],
        ["", p.rating ? t("practices.rating", { n: p.rating }) : ""],
      ]),
      ...([["needs.description", p.description], ["practices.results", p.results], ["practices.lessons", p.lessonsLearned]] as const).map(([key, text]) =>
        text ? h("div", { class: "record-text", lang: l }, h("h2", { lang: document.documentElement.lang }, t(key)), h("p", null, text)) : null),
      p.links.length
        ? h("div", null, h("h2", null, t("practices.links")), h("ul", null, ...p.links.filter((u) => /^https?:\/\//i.test(u)).map((u) => h("li", null, h("a", { href: u, rel: "noopener noreferrer external" }, u)))))
        : null,
    ];
  });
}
