// Offers: the public list, and an offer's page with the open needs it can serve (FindNeeds).

import { h, replace, scroller } from "../dom";
import { matches, offers } from "../api";
import { num, objective, t } from "../i18n";
import { problem } from "../errors";
import { Code } from "@connectrpc/connect";
import { Modality, NeedStatus, OfferStatus } from "../gen/capacityhub/v1/common_pb";
import type { Offer } from "../gen/capacityhub/v1/offers_pb";
import type { NeedCandidate } from "../gen/capacityhub/v1/matches_pb";
import { go, type Route } from "../route";
import {
  actorLink, badge, enumSelect, errorBox, facts, field, level, load, modality, objectiveSelect, Pager, pageHeading, regions, score, setTitle, themes, urgency,
} from "../ui";
import { actingFor, requestId, when } from "../util";
import { explanationDetails } from "./explain";

export function offersPage(route: Route): void {
  setTitle(t("offers.title"));
  const q = route.query;
  const status = Number(q.get("status") ?? 0);
  const theme = Number(q.get("theme") ?? 0);
  const mod = Number(q.get("modality") ?? 0);
  const form = h("form", { class: "filters", "aria-label": t("list.filters") });
  const statusSel = enumSelect("f-status", OfferStatus, "offerStatus", status, t("list.any"));
  const themeSel = objectiveSelect("f-theme", theme);
  const modSel = enumSelect("f-modality", Modality, "modality", mod, t("list.any"));
  const provider = h("input", { id: "f-provider", value: q.get("provider") ?? "", autocomplete: "off" });
  form.append(
    field(t("list.status"), statusSel),
    field(t("list.theme"), themeSel),
    field(t("list.modality"), modSel),
    field(t("list.provider"), provider),
    h("div", { class: "filter-actions" }, h("button", { type: "submit" }, t("list.apply")), h("a", { href: "#/offers", class: "button secondary" }, t("list.reset"))),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    go("/offers", { status: statusSel.value, theme: themeSel.value, modality: modSel.value, provider: provider.value.trim() });
  });
  const results = h("div", { "data-testid": "offers-list" });
  const pager: Pager = new Pager(() => void show());
  const show = () =>
    load(
      results,
      () => offers.listOffers({ status, theme, modality: mod, providerId: q.get("provider") ?? "", pageSize: 20, pageToken: pager.token }, { signal: route.signal }),
      (res) => {
        pager.next = res.nextPageToken;
        if (!res.offers.length) return h("p", null, t("list.empty"));
        return [offerTable(res.offers, t("offers.title")), pager.controls(t("offers.title"))];
      },
    );
  route.main.append(pageHeading(t("offers.title")), h("p", { class: "lead" }, t("offers.intro")), form, results);
  void show();
}

export function offerTable(list: Offer[], label: string): HTMLElement {
  const table = h(
    "table",
    null,
    h("thead", null, h("tr", null, ...["list.id", "list.title", "list.provider", "list.status", "list.themes", "list.modalities", "list.capacity"].map((k) => h("th", { scope: "col" }, t(k))))),
  );
  const body = h("tbody");
  for (const o of list) {
    body.append(
      h(
        "tr",
        { "data-testid": `offer-row-${o.id}` },
        h("td", null, h("a", { href: `#/offers/${encodeURIComponent(o.id)}` }, o.id)),
        h("td", null, h("a", { href: `#/offers/${encodeURIComponent(o.id)}` }, o.title)),
        h("td", null, actorLink(o.providerId)),
        h("td", null, badge("offer", o.status)),
        h("td", { title: themes(o.themes) }, o.themes.join(", ")),
        h("td", null, o.modalities.map(modality).join(", ")),
        h("td", null, `${o.remainingCapacity} / ${o.capacity}`),
      ),
    );
  }
  table.append(body);
  return scroller(label, table);
}

function needItem(offer: Offer, c: NeedCandidate, rank: number): HTMLElement {
  const need = c.need!;
  const li = h(
    "li",
    { class: "candidate", "data-testid": `need-candidate-${need.id}` },
    h(
      "div",
      { class: "candidate-head" },
      h("span", { class: "rank" }, t("needs.rank", { n: rank })),
      h("h3", null, h("a", { href: `#/needs/${encodeURIComponent(need.id)}` }, need.title), " ", h("span", { class: "muted" }, `(${need.id})`)),
      h("span", { class: "score" }, `${t("needs.score")} ${score(c.score)}`),
    ),
    h("p", { class: "muted" }, t("needs.requester"), ": ", actorLink(need.requesterId), " · ", t("list.urgency"), ": ", urgency(need.urgency), " · ", need.countries.join(", ")),
    h("p", { class: "explanation" }, c.explanation?.summary ?? ""),
    c.explanation ? explanationDetails(c.explanation, need.id) : null,
  );
  if (need.status === NeedStatus.OPEN && actingFor(need.requesterId, offer.providerId)) {
    const status = h("div", { "aria-live": "polite" });
    const button = h("button", { type: "button", "data-testid": `propose-${need.id}` }, t("needs.propose"));
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        const m = await matches.proposeMatch({ needId: need.id, offerId: offer.id, requestId: requestId() });
        replace(status, h("p", { class: "success", role: "status", "data-testid": "proposed", "data-match-id": m.id }, t("needs.proposed", { id: m.id }), " ", h("a", { href: "#/me" }, t("needs.openWorkspace"))));
      } catch (err) {
        button.disabled = false;
        replace(status, errorBox(problem(err)));
      }
    });
    li.append(h("div", { class: "actions" }, button), status);
  }
  return li;
}

export async function offerPage(route: Route): Promise<void> {
  const id = route.params[0];
  setTitle(t("offers.one", { id }));
  const head = pageHeading(t("offers.one", { id }));
  const details = h("div", { "data-testid": "offer-details" });
  route.main.append(head, details);
  let offer: Offer | null = null;
  await load(
    details,
    () => offers.getOffer({ id }, { signal: route.signal }),
    (o) => {
      offer = o;
      head.querySelector("h1")!.textContent = o.title;
      setTitle(o.title);
      const coverage = [o.worldwide ? t("offers.worldwide") : "", o.countries.join(", "), regions(o.regions)].filter(Boolean).join(" · ");
      return [
        o.stale ? h("p", { class: "warning" }, t("needs.stale")) : null,
        facts([
          [t("list.id"), o.id],
          [t("offers.provider"), actorLink(o.providerId)],
          [t("list.status"), badge("offer", o.status, "offer-status")],
          [t("list.themes"), h("ul", { class: "plain" }, ...o.themes.map((x) => h("li", null, objective(x))))],
          [t("list.modalities"), o.modalities.map(modality).join(", ")],
          [t("offers.levels"), o.levels.length ? o.levels.map(level).join(", ") : t("offers.allLevels")],
          [t("offers.coverage"), coverage],
          [t("needs.languages"), o.languages.join(", ")],
          [t("list.capacity"), t("offers.remaining", { free: o.remainingCapacity, total: o.capacity })],
          [t("offers.funding"), o.fundingUsd !== undefined ? num(Number(o.fundingUsd)) : ""],
          [t("needs.window"), o.window && (o.window.startDate || o.window.endDate) ? `${o.window.startDate || "…"} – ${o.window.endDate || "…"}` : ""],
          [t("needs.created"), when(o.createdAt)],
          [t("needs.updated"), when(o.updatedAt)],
        ]),
        o.description ? h("div", { class: "record-text" }, h("h2", null, t("needs.description")), h("p", { lang: o.languages[0] || null }, o.description)) : null,
        actingFor(o.providerId) && o.status !== OfferStatus.WITHDRAWN
          ? h("p", null, h("a", { class: "button secondary", href: `#/me/offers/${encodeURIComponent(o.id)}/edit`, "data-testid": "edit-offer" }, t("needs.edit")))
          : null,
      ];
    },
  );
  if (!offer) return;
  const theOffer: Offer = offer;
  const body = h("div", { "data-testid": "offer-needs" });
  route.main.append(h("section", { "aria-labelledby": "on-h" }, h("h2", { id: "on-h" }, t("offers.needsTitle")), body));
  const pager: Pager = new Pager(() => void show());
  const show = async () => {
    try {
      await load(
        body,
        async () => {
          try {
            return await matches.findNeeds({ offerId: id, limit: 10, pageToken: pager.token }, { signal: route.signal });
          } catch (err) {
            if (problem(err).code === Code.FailedPrecondition) return null;
            throw err;
          }
        },
        (res) => {
          if (res === null) return h("p", null, t("offers.notServing"));
          pager.next = res.nextPageToken;
          if (!res.needs.length) return h("p", null, t("offers.noNeeds"));
          return [h("ol", { class: "candidates" }, ...res.needs.map((c, i) => needItem(theOffer, c, i + 1))), pager.controls(t("offers.needsTitle"))];
        },
      );
    } catch {
      /* shown by load */
    }
  };
  await show();
}
