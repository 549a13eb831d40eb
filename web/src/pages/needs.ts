// Needs: the public list with filters and paging, and a need's page with its ranked, explained
// candidate offers, bundles and related items.

import { h } from "../dom";
import { matches, needs } from "../api";
import { enumLabel, num, pct, t } from "../i18n";
import { NeedStatus } from "../gen/capacityhub/v1/common_pb";
import { RelatedKind } from "../gen/capacityhub/v1/matches_pb";
import type { Need } from "../gen/capacityhub/v1/needs_pb";
import type { Route } from "../route";
import {
  actorLink, level, listingDetails, listOf, load, modality, needLink, offerLink, practiceLink, recordPage, recordTable, score, section, urgency,
} from "../ui";
import { actingFor } from "../util";
import { candidateItem } from "./explain";
import { enumFilter, listPage, placeFilters, textFilter } from "./listing";

export function needsPage(route: Route): void {
  const q = route.query;
  const arg = (key: string) => q.get(key) ?? "";
  listPage(route, {
    path: "/needs",
    title: t("needs.title"),
    intro: t("needs.intro"),
    testid: "needs",
    filters: [enumFilter(q, "status", NeedStatus, "needStatus"), ...placeFilters(q), textFilter(q, "requester")],
    fetch: async (pageToken, signal) => {
      const res = await needs.listNeeds(
        { status: Number(arg("status")), theme: Number(arg("theme")), country: arg("country"), region: arg("region"), requesterId: arg("requester"), pageSize: 20, pageToken },
        { signal },
      );
      return { items: res.needs, next: res.nextPageToken };
    },
    table: (items) => needTable(items, t("needs.title")),
  });
}

export function needTable(list: Need[], label: string): HTMLElement {
  return recordTable(label, "need", list, [t("list.requester"), (n) => n.requesterId], [
    [t("list.urgency"), (n) => urgency(n.urgency)],
    [t("list.countries"), (n) => n.countries.join(", ")],
  ]);
}

export async function needPage(route: Route): Promise<void> {
  const id = route.params[0];
  const need = await recordPage(route, t("needs.one", { id }), "need-details", (signal) => needs.getNeed({ id }, { signal }), (n) => n.title, (n) => {
    const ttm = n.expectedDaysToMatch;
    return listingDetails("need", n, [t("needs.requester"), n.requesterId], [
      [t("needs.level"), level(n.level)],
      [t("list.countries"), n.countries.join(", ")],
      [t("needs.languages"), n.languages.join(", ")],
      [t("needs.budget"), n.budgetUsd !== undefined ? num(Number(n.budgetUsd)) : ""],
      [t("list.urgency"), urgency(n.urgency)],
    ], n.status === NeedStatus.OPEN && actingFor(n.requesterId), [
      [t("needs.timeToMatch"), ttm ? h("span", { "data-testid": "time-to-match" },
        ttm.expectedDays !== undefined ? t("needs.expectedDays", { n: num(ttm.expectedDays, 0) }) : t("needs.noHistory"),
        "; ", t("needs.offersAvailable", { n: ttm.offersAvailable }),
        ttm.basis ? h("span", { class: "muted basis" }, ` (${ttm.basis})`) : null) : ""],
    ]);
  });
  if (!need) return;
  const [candidates, candBody] = section("cand-h", t("needs.candidates"), "candidates", t("needs.candidatesHelp"));
  const [bundles, bundBody] = section("bund-h", t("needs.bundles"), "bundles", t("needs.bundlesHelp"));
  const [related, relBody] = section("rel-h", t("needs.related"), "related");
  route.main.append(candidates, bundles, related);
  const cells = (cs: { theme: number; modality: number }[]) => cs.map((c) => `${c.theme}/${modality(c.modality)}`).join(", ");
  await Promise.all([
    load(
      candBody,
      () => matches.findMatches({ needId: id, limit: 10 }, { signal: route.signal }),
      (res) => listOf(res.candidates, t("needs.noCandidates"), "ol", "candidates", (c, i) => {
        const offer = c.offer!;
        return candidateItem({
          id: offer.id, path: "offers", title: offer.title, testid: "candidate", rank: i + 1, score: c.score, explanation: c.explanation,
          meta: [t("offers.provider"), ": ", actorLink(offer.providerId)],
          warning: c.engagedOnSimilarNeedIds.length ? t("needs.engagedOn", { ids: c.engagedOnSimilarNeedIds.join(", ") }) : null,
          propose: need.status === NeedStatus.OPEN && actingFor(need.requesterId, offer.providerId) ? { needId: need.id, offerId: offer.id } : undefined,
        });
      }),
    ),
    load(
      bundBody,
      () => matches.findBundles({ needId: id, maxBundles: 3 }, { signal: route.signal }),
      (res) => listOf(res.bundles, t("needs.noBundles"), "ol", "bundles", (b) => h(
        "li",
        { class: "bundle" },
        h("p", null, h("strong", null, t("needs.coverage", { p: pct(b.coverage) })), ", ", t("needs.cohesion", { p: pct(b.cohesion) }), ` · ${t("needs.score")} ${score(b.score)}`),
        h("p", { class: "explanation" }, b.explanation),
        h("ul", null, ...b.members.map((m) => h("li", null, offerLink(m.offer?.id ?? ""), " ", m.offer?.title ?? "", " — ", actorLink(m.provider?.id ?? m.offer?.providerId ?? ""), ` (${cells(m.cells)})`))),
        b.uncovered.length ? h("p", { class: "muted" }, t("needs.uncovered", { cells: cells(b.uncovered) })) : null,
      )),
    ),
    load(
      relBody,
      () => matches.findRelated({ needId: id, limit: 10 }, { signal: route.signal }),
      (res) => listOf(res.items, t("needs.noRelated"), "ul", "related", (item) => [
        h("span", { class: "tag" }, enumLabel("relatedKind", RelatedKind[item.kind])),
        " ",
        item.kind === RelatedKind.PRACTICE ? practiceLink(item.id) : needLink(item.id),
        " ",
        item.title,
        item.actorId ? [" — ", actorLink(item.actorId)] : null,
        item.reasons.length ? h("ul", { class: "reasons" }, ...item.reasons.map((r) => h("li", null, r))) : null,
        item.lessonsLearned ? h("p", { class: "muted" }, item.lessonsLearned) : null,
      ]),
    ),
  ]);
}
