// SearchService.Search: hits with their marked passages.

import { h } from "../dom";
import { search } from "../api";
import { enumLabel, t } from "../i18n";
import { RecordKind, type SearchHit } from "../gen/capacityhub/v1/search_pb";
import { go, type Route } from "../route";
import { field, load, objectiveSelect, Pager, pageHeading, score, setTitle } from "../ui";

const KINDS = [RecordKind.NEED, RecordKind.OFFER, RecordKind.PRACTICE, RecordKind.ACTOR];

function hitHref(hit: SearchHit): string {
  const id = encodeURIComponent(hit.id);
  switch (hit.kind) {
    case RecordKind.NEED: return `#/needs/${id}`;
    case RecordKind.OFFER: return `#/offers/${id}`;
    case RecordKind.PRACTICE: return `#/practices/${id}`;
    default: return `#/actors/${id}`;
  }
}

/** The passage with the words between « and » marked. */
function snippet(text: string): HTMLElement {
  const p = h("p", { class: "snippet" });
  const re = /«([^»]*)»/g;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    p.append(text.slice(last, m.index), h("mark", null, m[1]));
    last = m.index + m[0].length;
  }
  p.append(text.slice(last));
  return p;
}

export function searchPage(route: Route): void {
  setTitle(t("search.title"));
  const q = route.query;
  const query = q.get("q") ?? "";
  const kinds = (q.get("kinds") ?? "").split(",").map(Number).filter((k) => KINDS.includes(k));
  const theme = Number(q.get("theme") ?? 0);
  const input = h("input", { id: "s-q", type: "search", value: query, required: true, maxlength: 1000, "data-testid": "search-input" });
  const kindBoxes = KINDS.map((k) => h("input", { type: "checkbox", id: `s-kind-${k}`, value: String(k), checked: kinds.includes(k) }));
  const themeSel = objectiveSelect("s-theme", theme);
  const country = h("input", { id: "s-country", value: q.get("country") ?? "", maxlength: 3, size: 5, autocomplete: "off" });
  const region = h("input", { id: "s-region", value: q.get("region") ?? "", autocomplete: "off" });
  const language = h("input", { id: "s-language", value: q.get("language") ?? "", maxlength: 2, size: 4, autocomplete: "off" });
  const form = h(
    "form",
    { class: "filters search-form", role: "search" },
    field(t("search.query"), input),
    h("fieldset", { class: "checks" }, h("legend", null, t("search.kinds")), ...KINDS.map((k, i) => h("label", { class: "check" }, kindBoxes[i], " ", enumLabel("recordKind", RecordKind[k])))),
    field(t("list.theme"), themeSel),
    field(t("list.country"), country),
    field(t("list.region"), region),
    field(t("search.language"), language),
    h("div", { class: "filter-actions" }, h("button", { type: "submit", "data-testid": "search-go" }, t("search.go"))),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    go("/search", {
      q: input.value.trim(),
      kinds: kindBoxes.filter((b) => b.checked).map((b) => b.value).join(","),
      theme: themeSel.value,
      country: country.value.trim().toUpperCase(),
      region: region.value.trim(),
      language: language.value.trim().toLowerCase(),
    });
  });
  const results = h("div", { "data-testid": "search-results", "aria-live": "polite" });
  route.main.append(pageHeading(t("search.title")), h("p", { class: "lead" }, t("search.intro")), form, results);
  if (!query) return;
  const pager: Pager = new Pager(() => void show());
  const show = () =>
    load(
      results,
      () => search.search({ query, kinds, theme, country: q.get("country") ?? "", region: q.get("region") ?? "", language: q.get("language") ?? "", pageSize: 20, pageToken: pager.token }, { signal: route.signal }),
      (res) => {
        pager.next = res.nextPageToken;
        if (!res.hits.length) return h("p", null, t("search.none"));
        return [
          h("p", { class: "muted" }, t("search.results", { n: res.hits.length })),
          h(
            "ol",
            { class: "hits" },
            ...res.hits.map((hit) =>
              h(
                "li",
                { "data-testid": `hit-${hit.id}` },
                h("span", { class: "tag" }, enumLabel("recordKind", RecordKind[hit.kind])),
                " ",
                h("a", { href: hitHref(hit) }, hit.title || hit.id),
                h("span", { class: "muted" }, ` ${hit.id} · ${score(hit.score)}`),
                snippet(hit.snippet),
              ),
            ),
          ),
          pager.controls(t("search.title")),
        ];
      },
    );
  void show();
}
