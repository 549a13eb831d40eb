// The repository of practices: list with filters, and a practice's page.

import { h, scroller } from "../dom";
import { practices } from "../api";
import { objective, t } from "../i18n";
import type { Practice } from "../gen/capacityhub/v1/practices_pb";
import { go, type Route } from "../route";
import { actorLink, facts, field, load, mgi, objectiveSelect, Pager, pageHeading, setTitle, themes } from "../ui";
import { when } from "../util";

export function practicesPage(route: Route): void {
  setTitle(t("practices.title"));
  const q = route.query;
  const theme = Number(q.get("theme") ?? 0);
  const form = h("form", { class: "filters", "aria-label": t("list.filters") });
  const themeSel = objectiveSelect("f-theme", theme);
  const country = h("input", { id: "f-country", value: q.get("country") ?? "", autocomplete: "off", maxlength: 3, size: 5 });
  const region = h("input", { id: "f-region", value: q.get("region") ?? "", autocomplete: "off" });
  const author = h("input", { id: "f-author", value: q.get("author") ?? "", autocomplete: "off" });
  form.append(
    field(t("list.theme"), themeSel),
    field(t("list.country"), country),
    field(t("list.region"), region),
    field(t("list.author"), author),
    h("div", { class: "filter-actions" }, h("button", { type: "submit" }, t("list.apply")), h("a", { href: "#/practices", class: "button secondary" }, t("list.reset"))),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    go("/practices", { theme: themeSel.value, country: country.value.trim().toUpperCase(), region: region.value.trim(), author: author.value.trim() });
  });
  const results = h("div", { "data-testid": "practices-list" });
  const pager: Pager = new Pager(() => void show());
  const show = () =>
    load(
      results,
      () => practices.listPractices({ theme, country: q.get("country") ?? "", region: q.get("region") ?? "", authorId: q.get("author") ?? "", pageSize: 20, pageToken: pager.token }, { signal: route.signal }),
      (res) => {
        pager.next = res.nextPageToken;
        if (!res.practices.length) return h("p", null, t("list.empty"));
        return [practiceTable(res.practices), pager.controls(t("practices.title"))];
      },
    );
  route.main.append(pageHeading(t("practices.title")), h("p", { class: "lead" }, t("practices.intro")), form, results);
  void show();
}

function practiceTable(list: Practice[]): HTMLElement {
  const table = h(
    "table",
    null,
    h("thead", null, h("tr", null, ...["list.id", "list.title", "practices.author", "list.themes", "list.countries"].map((k) => h("th", { scope: "col" }, t(k))))),
  );
  const body = h("tbody");
  for (const p of list) {
    body.append(
      h(
        "tr",
        null,
        h("td", null, h("a", { href: `#/practices/${encodeURIComponent(p.id)}` }, p.id)),
        h("td", null, h("a", { href: `#/practices/${encodeURIComponent(p.id)}`, lang: p.languages[0] || null }, p.title)),
        h("td", null, actorLink(p.authorId)),
        h("td", { title: themes(p.themes) }, p.themes.join(", ")),
        h("td", null, p.countries.join(", ")),
      ),
    );
  }
  table.append(body);
  return scroller(t("practices.title"), table);
}

export function practicePage(route: Route): Promise<void> {
  const id = route.params[0];
  setTitle(t("practices.one", { id }));
  const head = pageHeading(t("practices.one", { id }));
  const body = h("div", { "data-testid": "practice-details" });
  route.main.append(head, body);
  return load(
    body,
    () => practices.getPractice({ id }, { signal: route.signal }),
    (p) => {
      head.querySelector("h1")!.textContent = p.title;
      head.querySelector("h1")!.setAttribute("lang", p.languages[0] || "");
      setTitle(p.title);
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
        p.description ? h("div", { class: "record-text", lang: l }, h("h2", { lang: document.documentElement.lang }, t("needs.description")), h("p", null, p.description)) : null,
        p.results ? h("div", { class: "record-text", lang: l }, h("h2", { lang: document.documentElement.lang }, t("practices.results")), h("p", null, p.results)) : null,
        p.lessonsLearned ? h("div", { class: "record-text", lang: l }, h("h2", { lang: document.documentElement.lang }, t("practices.lessons")), h("p", null, p.lessonsLearned)) : null,
        p.links.length
          ? h("div", null, h("h2", null, t("practices.links")), h("ul", null, ...p.links.filter((u) => /^https?:\/\//i.test(u)).map((u) => h("li", null, h("a", { href: u, rel: "noopener noreferrer external" }, u)))))
          : null,
      ];
    },
  );
}
