// Offers: the public list, and an offer's page with the open needs it can serve (FindNeeds).

import { h } from "../dom";
import { matches, offers } from "../api";
import { num, t } from "../i18n";
import { problem } from "../errors";
import { Modality, NeedStatus, OfferStatus } from "../gen/capacityhub/v1/common_pb";
import type { Offer } from "../gen/capacityhub/v1/offers_pb";
import type { Route } from "../route";
import {
  actorLink, level, listingDetails, listOf, load, modality, Pager, recordPage, recordTable, regions, section, urgency,
} from "../ui";
import { actingFor } from "../util";
import { candidateItem } from "./explain";
import { enumFilter, listPage, placeFilters, textFilter } from "./listing";

/** The reasons FindNeeds gives for an offer that serves no need now. */
const NOT_SERVING = ["OFFER_NOT_ACTIVE", "OFFER_EXHAUSTED"];

export function offersPage(route: Route): void {
  const q = route.query;
  const arg = (key: string) => q.get(key) ?? "";
  listPage(route, {
    path: "/offers",
    title: t("offers.title"),
    intro: t("offers.intro"),
    testid: "offers",
    filters: [enumFilter(q, "status", OfferStatus, "offerStatus"), placeFilters(q)[0], enumFilter(q, "modality", Modality, "modality"), textFilter(q, "provider")],
    fetch: async (pageToken, signal) => {
      const res = await offers.listOffers(
        { status: Number(arg("status")), theme: Number(arg("theme")), modality: Number(arg("modality")), providerId: arg("provider"), pageSize: 20, pageToken },
        { signal },
      );
      return { items: res.offers, next: res.nextPageToken };
    },
    table: (items) => offerTable(items, t("offers.title")),
  });
}

export function offerTable(list: Offer[], label: string): HTMLElement {
  return recordTable(label, "offer", list, [t("list.provider"), (o) => o.providerId], [
    [t("list.modalities"), (o) => o.modalities.map(modality).join(", ")],
    [t("list.capacity"), (o) => `${o.remainingCapacity} / ${o.capacity}`],
  ]);
}

export async function offerPage(route: Route): Promise<void> {
  const id = route.params[0];
  const offer = await recordPage(route, t("offers.one", { id }), "offer-details", (signal) => offers.getOffer({ id }, { signal }), (o) => o.title, (o) =>
    listingDetails("offer", o, [t("offers.provider"), o.providerId], [
      [t("offers.levels"), o.levels.length ? o.levels.map(level).join(", ") : t("offers.allLevels")],
      [t("offers.coverage"), [o.worldwide ? t("offers.worldwide") : "", o.countries.join(", "), regions(o.regions)].filter(Boolean).join(" · ")],
      [t("needs.languages"), o.languages.join(", ")],
      [t("list.capacity"), t("offers.remaining", { free: o.remainingCapacity, total: o.capacity })],
      [t("offers.funding"), o.fundingUsd !== undefined ? num(Number(o.fundingUsd)) : ""],
    ], actingFor(o.providerId) && o.status !== OfferStatus.WITHDRAWN),
  );
  if (!offer) return;
  const [needsSection, body] = section("on-h", t("offers.needsTitle"), "offer-needs");
  route.main.append(needsSection);
  const pager: Pager = new Pager(() => void show());
  const show = () =>
    load(
      body,
      async () => {
        try {
          return await matches.findNeeds({ offerId: id, limit: 10, pageToken: pager.token }, { signal: route.signal });
        } catch (err) {
          // An offer that is not active, or has no place left, serves no need: say so, in words.
          const p = problem(err);
          if (NOT_SERVING.includes(p.reason)) return p;
          throw err;
        }
      },
      (res) => {
        if (!("needs" in res)) return h("p", { "data-reason": res.reason, "data-testid": "offer-not-serving" }, res.text, " ", t("offers.notServing"));
        pager.next = res.nextPageToken;
        return [
          listOf(res.needs, t("offers.noNeeds"), "ol", "candidates", (c, i) => {
            const need = c.need!;
            return candidateItem({
              id: need.id, path: "needs", title: need.title, testid: "need-candidate", rank: i + 1, score: c.score, explanation: c.explanation,
              meta: [t("needs.requester"), ": ", actorLink(need.requesterId), " · ", t("list.urgency"), ": ", urgency(need.urgency), " · ", need.countries.join(", ")],
              propose: need.status === NeedStatus.OPEN && actingFor(need.requesterId, offer.providerId) ? { needId: need.id, offerId: offer.id } : undefined,
            });
          }),
          res.needs.length ? pager.controls(t("offers.needsTitle")) : null,
        ];
      },
    );
  await show();
}
