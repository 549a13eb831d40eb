// Needs: the public list with filters and paging, and a need's page with its ranked, explained
// candidate offers, bundles and related items.

import { h, replace, scroller } from "../dom";
import { matches, needs } from "../api";
import { enumLabel, num, objective, pct, t } from "../i18n";
import { problem } from "../errors";
import { NeedStatus } from "../gen/capacityhub/v1/common_pb";
import { RelatedKind, type MatchCandidate } from "../gen/capacityhub/v1/matches_pb";
import type { Need } from "../gen/capacityhub/v1/needs_pb";
import { go, type Route } from "../route";
import {
  actorLink, badge, errorBox, facts, field, level, load, modality, needLink, objectiveSelect, offerLink, enumSelect,
  Pager, pageHeading, practiceLink, score, setTitle, themes, urgency,
} from "../ui";
import { actingFor, requestId, when } from "../util";
import { explanationDetails } from "./explain";

export function needsPage(route: Route): void {
  setTitle(t("needs.title"));
  const q = route.query;
  const status = Number(q.get("status") ?? 0);
  const theme = Number(q.get("theme") ?? 0);
  const form = h("form", { class: "filters", "aria-label": t("list.filters"), "data-testid": "needs-filters" });
  const statusSel = enumSelect("f-status", NeedStatus, "needStatus", status, t("list.any"));
  const themeSel = objectiveSelect("f-theme", theme);
  const country = h("input", { id: "f-country", name: "country", value: q.get("country") ?? "", autocomplete: "off", maxlength: 3, size: 5 });
  const region = h("input", { id: "f-region", name: "region", value: q.get("region") ?? "", autocomplete: "off" });
  const requester = h("input", { id: "f-requester", name: "requester", value: q.get("requester") ?? "", autocomplete: "off" });
  form.append(
    field(t("list.status"), statusSel),
    field(t("list.theme"), themeSel),
    field(t("list.country"), country),
    field(t("list.region"), region),
    field(t("list.requester"), requester),
    h("div", { class: "filter-actions" }, h("button", { type: "submit" }, t("list.apply")), h("a", { href: "#/needs", class: "button secondary" }, t("list.reset"))),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    go("/needs", { status: statusSel.value, theme: themeSel.value, country: country.value.trim().toUpperCase(), region: region.value.trim(), requester: requester.value.trim() });
  });
  const results = h("div", { "data-testid": "needs-list" });
  const pager: Pager = new Pager(() => void show());
  const show = () =>
    load(
      results,
      () =>
        needs.listNeeds(
          { status, theme, country: q.get("country") ?? "", region: q.get("region") ?? "", requesterId: q.get("requester") ?? "", pageSize: 20, pageToken: pager.token },
          { signal: route.signal },
        ),
      (res) => {
        pager.next = res.nextPageToken;
        if (!res.needs.length) return h("p", null, t("list.empty"));
        return [needTable(res.needs, t("needs.title")), pager.controls(t("needs.title"))];
      },
    );
  route.main.append(pageHeading(t("needs.title")), h("p", { class: "lead" }, t("needs.intro")), form, results);
  void show();
}

export function needTable(list: Need[], label: string): HTMLElement {
  const table = h(
    "table",
    null,
    h("thead", null, h("tr", null, ...["list.id", "list.title", "list.requester", "list.status", "list.themes", "list.urgency", "list.countries"].map((k) => h("th", { scope: "col" }, t(k))))),
  );
  const body = h("tbody");
  for (const n of list) {
    body.append(
      h(
        "tr",
        { "data-testid": `need-row-${n.id}` },
        h("td", null, needLink(n.id)),
        h("td", null, h("a", { href: `#/needs/${encodeURIComponent(n.id)}` }, n.title)),
        h("td", null, actorLink(n.requesterId)),
        h("td", null, badge("need", n.status)),
        h("td", { title: themes(n.themes) }, n.themes.join(", ")),
        h("td", null, urgency(n.urgency)),
        h("td", null, n.countries.join(", ")),
      ),
    );
  }
  table.append(body);
  return scroller(label, table);
}

function candidateItem(need: Need, c: MatchCandidate, rank: number, onProposed: (matchId: string) => void): HTMLElement {
  const offer = c.offer!;
  const providerId = offer.providerId;
  const li = h(
    "li",
    { class: "candidate", "data-testid": `candidate-${offer.id}`, "data-rank": rank },
    h(
      "div",
      { class: "candidate-head" },
      h("span", { class: "rank" }, t("needs.rank", { n: rank })),
      h("h3", null, h("a", { href: `#/offers/${encodeURIComponent(offer.id)}` }, offer.title), " ", h("span", { class: "muted" }, `(${offer.id})`)),
      h("span", { class: "score", "data-testid": `candidate-score-${offer.id}` }, `${t("needs.score")} ${score(c.score)}`),
    ),
    h("p", { class: "muted" }, t("offers.provider"), ": ", actorLink(providerId)),
    h("p", { class: "explanation", "data-testid": `candidate-explanation-${offer.id}` }, c.explanation?.summary ?? ""),
    c.engagedOnSimilarNeedIds.length ? h("p", { class: "warning" }, t("needs.engagedOn", { ids: c.engagedOnSimilarNeedIds.join(", ") })) : null,
    c.explanation ? explanationDetails(c.explanation, offer.id) : null,
  );
  if (need.status === NeedStatus.OPEN && actingFor(need.requesterId, providerId)) {
    const status = h("div", { "aria-live": "polite" });
    const button = h("button", { type: "button", "data-testid": `propose-${offer.id}` }, t("needs.propose"));
    button.addEventListener("click", async () => {
      button.disabled = true;
      replace(status, h("p", { role: "status" }, t("app.loading")));
      try {
        const m = await matches.proposeMatch({ needId: need.id, offerId: offer.id, requestId: requestId() });
        replace(status, h("p", { class: "success", role: "status", "data-testid": "proposed", "data-match-id": m.id }, t("needs.proposed", { id: m.id }), " ", h("a", { href: "#/me" }, t("needs.openWorkspace"))));
        onProposed(m.id);
      } catch (err) {
        button.disabled = false;
        replace(status, errorBox(problem(err)));
      }
    });
    li.append(h("div", { class: "actions" }, button), status);
  }
  return li;
}

export async function needPage(route: Route): Promise<void> {
  const id = route.params[0];
  setTitle(t("needs.one", { id }));
  const head = pageHeading(t("needs.one", { id }));
  const details = h("div", { "data-testid": "need-details" });
  const candidates = h("section", { "aria-labelledby": "cand-h" }, h("h2", { id: "cand-h" }, t("needs.candidates")));
  const candBody = h("div", { "data-testid": "candidates" });
  candidates.append(h("p", { class: "muted" }, t("needs.candidatesHelp")), candBody);
  const bundles = h("section", { "aria-labelledby": "bund-h" }, h("h2", { id: "bund-h" }, t("needs.bundles")));
  const bundBody = h("div", { "data-testid": "bundles" });
  bundles.append(h("p", { class: "muted" }, t("needs.bundlesHelp")), bundBody);
  const related = h("section", { "aria-labelledby": "rel-h" }, h("h2", { id: "rel-h" }, t("needs.related")));
  const relBody = h("div", { "data-testid": "related" });
  related.append(relBody);
  route.main.append(head, details);
  let need: Need | null = null;
  await load(
    details,
    () => needs.getNeed({ id }, { signal: route.signal }),
    (n) => {
      need = n;
      head.querySelector("h1")!.textContent = n.title;
      setTitle(n.title);
      const ttm = n.expectedDaysToMatch;
      const edit = n.status === NeedStatus.OPEN && actingFor(n.requesterId)
        ? h("p", null, h("a", { class: "button secondary", href: `#/me/needs/${encodeURIComponent(n.id)}/edit`, "data-testid": "edit-need" }, t("needs.edit")))
        : null;
      return [
        n.stale ? h("p", { class: "warning" }, t("needs.stale")) : null,
        facts([
          [t("list.id"), n.id],
          [t("needs.requester"), actorLink(n.requesterId)],
          [t("list.status"), badge("need", n.status, "need-status")],
          [t("list.themes"), h("ul", { class: "plain" }, ...n.themes.map((x) => h("li", null, objective(x))))],
          [t("list.modalities"), n.modalities.map(modality).join(", ")],
          [t("needs.level"), level(n.level)],
          [t("list.countries"), n.countries.join(", ")],
          [t("needs.languages"), n.languages.join(", ")],
          [t("needs.budget"), n.budgetUsd !== undefined ? num(Number(n.budgetUsd)) : ""],
          [t("list.urgency"), urgency(n.urgency)],
          [t("needs.window"), n.window && (n.window.startDate || n.window.endDate) ? `${n.window.startDate || "…"} – ${n.window.endDate || "…"}` : ""],
          [t("needs.created"), when(n.createdAt)],
          [t("needs.updated"), when(n.updatedAt)],
          [t("needs.timeToMatch"), ttm ? h("span", { "data-testid": "time-to-match" },
            ttm.expectedDays !== undefined ? t("needs.expectedDays", { n: num(ttm.expectedDays, 0) }) : t("needs.noHistory"),
            "; ", t("needs.offersAvailable", { n: ttm.offersAvailable }),
            ttm.basis ? h("span", { class: "muted basis" }, ` (${ttm.basis})`) : null) : ""],
        ]),
        n.description ? h("div", { class: "record-text" }, h("h2", null, t("needs.description")), h("p", { lang: n.languages[0] || null }, n.description)) : null,
        edit,
      ];
    },
  );
  if (!need) return;
  const theNeed: Need = need;
  route.main.append(candidates, bundles, related);
  const showCandidates = () =>
    load(
      candBody,
      () => matches.findMatches({ needId: id, limit: 10 }, { signal: route.signal }),
      (res) => {
        if (!res.candidates.length) return h("p", null, t("needs.noCandidates"));
        return h("ol", { class: "candidates" }, ...res.candidates.map((c, i) => candidateItem(theNeed, c, i + 1, () => undefined)));
      },
    );
  await Promise.all([
    showCandidates(),
    load(
      bundBody,
      () => matches.findBundles({ needId: id, maxBundles: 3 }, { signal: route.signal }),
      (res) => {
        if (!res.bundles.length) return h("p", null, t("needs.noBundles"));
        return h(
          "ol",
          { class: "bundles" },
          ...res.bundles.map((b) =>
            h(
              "li",
              { class: "bundle" },
              h("p", null, h("strong", null, t("needs.coverage", { p: pct(b.coverage) })), ", ", t("needs.cohesion", { p: pct(b.cohesion) }), ` · ${t("needs.score")} ${score(b.score)}`),
              h("p", { class: "explanation" }, b.explanation),
              h("ul", null, ...b.members.map((m) => h("li", null, offerLink(m.offer?.id ?? ""), " ", m.offer?.title ?? "", " — ", actorLink(m.provider?.id ?? m.offer?.providerId ?? ""), ` (${m.cells.map((c) => `${c.theme}/${modality(c.modality)}`).join(", ")})`))),
              b.uncovered.length ? h("p", { class: "muted" }, t("needs.uncovered", { cells: b.uncovered.map((c) => `${c.theme}/${modality(c.modality)}`).join(", ") })) : null,
            ),
          ),
        );
      },
    ),
    load(
      relBody,
      () => matches.findRelated({ needId: id, limit: 10 }, { signal: route.signal }),
      (res) => {
        if (!res.items.length) return h("p", null, t("needs.noRelated"));
        return h(
          "ul",
          { class: "related" },
          ...res.items.map((item) =>
            h(
              "li",
              null,
              h("span", { class: "tag" }, enumLabel("relatedKind", RelatedKind[item.kind])),
              " ",
              item.kind === RelatedKind.PRACTICE ? practiceLink(item.id) : needLink(item.id),
              " ",
              item.title,
              item.actorId ? [" — ", actorLink(item.actorId)] : null,
              item.reasons.length ? h("ul", { class: "reasons" }, ...item.reasons.map((r) => h("li", null, r))) : null,
              item.lessonsLearned ? h("p", { class: "muted" }, item.lessonsLearned) : null,
            ),
          ),
        );
      },
    ),
  ]);
}
