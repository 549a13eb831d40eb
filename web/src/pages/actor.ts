// An actor's public page: its profile, its needs and its offers.

import { h } from "../dom";
import { actors, needs, offers, rememberActor } from "../api";
import type { Route } from "../route";
import { actorKind, facts, load, recordPage } from "../ui";
import { region, t } from "../i18n";
import { needTable } from "./needs";
import { offerTable } from "./offers";

export async function actorPage(route: Route): Promise<void> {
  const id = route.params[0];
  await recordPage(route, t("actor.one", { id }), "actor-details", (signal) => actors.getActor({ id }, { signal }), (a) => a.name, (a) => {
    rememberActor(a);
    return [
      facts([
        [t("list.id"), a.id],
        [t("actor.kind"), actorKind(a.kind)],
        [t("actor.country"), a.country],
        [t("actor.region"), [a.region, a.subRegion].filter(Boolean).map(region).join(" · ")],
        [t("actor.languages"), a.languages.join(", ")],
        [t("actor.contact"), a.contact],
      ]),
      a.description ? h("p", { class: "record-text", lang: a.languages[0] || null }, a.description) : null,
      h("p", null, h("a", { class: "button secondary", href: `#/graph?actor=${encodeURIComponent(a.id)}` }, t("actor.graph"))),
    ];
  });
  const n = h("div");
  const o = h("div");
  route.main.append(h("section", null, h("h2", null, t("actor.needs")), n), h("section", null, h("h2", null, t("actor.offers")), o));
  await Promise.all([
    load(n, () => needs.listNeeds({ requesterId: id, pageSize: 50 }, { signal: route.signal }), (r) => (r.needs.length ? needTable(r.needs, t("actor.needs")) : h("p", null, t("workspace.none")))),
    load(o, () => offers.listOffers({ providerId: id, pageSize: 50 }, { signal: route.signal }), (r) => (r.offers.length ? offerTable(r.offers, t("actor.offers")) : h("p", null, t("workspace.none")))),
  ]);
}
