// The partnership graph around a chosen actor (PartnershipService.ExportGraph as JSON), drawn
// with cytoscape, which is loaded only on this page.

import { h, replace, scroller } from "../dom";
import { actors, partnerships } from "../api";
import { num, t } from "../i18n";
import { Code } from "@connectrpc/connect";
import { GraphFormat } from "../gen/capacityhub/v1/partnerships_pb";
import type { Actor } from "../gen/capacityhub/v1/actors_pb";
import { go, type Route } from "../route";
import { errorBox, field, load, loading, pageHeading, setTitle } from "../ui";
import { problem } from "../errors";

export interface GraphData {
  actors: { id: string; name: string | null; kind: string | null; country: string | null }[];
  partnerships: { id: string; a: string; b: string; kind: string; trust: number }[];
}

async function allActors(signal: AbortSignal): Promise<Actor[]> {
  const out: Actor[] = [];
  let pageToken = "";
  for (let i = 0; i < 20; i++) {
    const res = await actors.listActors({ pageSize: 500, pageToken }, { signal });
    out.push(...res.actors);
    pageToken = res.nextPageToken;
    if (!pageToken) break;
  }
  return out;
}

export async function graphPage(route: Route): Promise<void> {
  setTitle(t("graph.title"));
  const chosen = route.query.get("actor") ?? "";
  const depth = Math.min(4, Math.max(1, Number(route.query.get("depth") ?? 1) || 1));
  const formBox = h("div");
  const view = h("div", { "data-testid": "graph-view" });
  route.main.append(pageHeading(t("graph.title")), h("p", { class: "lead" }, t("graph.intro")), formBox, view);
  let list: Actor[] = [];
  await load(formBox, () => allActors(route.signal), (all) => {
    list = all.slice().sort((x, y) => x.name.localeCompare(y.name));
    const sel = h("select", { id: "g-actor", "data-testid": "graph-actor" });
    for (const a of list) sel.append(h("option", { value: a.id, selected: a.id === chosen }, `${a.name} (${a.id})`));
    if (!chosen && list.length) {
      const iom = list.find((a) => a.id === "actor-0");
      sel.value = (iom ?? list[0]).id;
    }
    const dsel = h("select", { id: "g-depth" });
    for (let d = 1; d <= 4; d++) dsel.append(h("option", { value: String(d), selected: d === depth }, String(d)));
    const form = h("form", { class: "filters" }, field(t("graph.actor"), sel), field(t("graph.depth"), dsel), h("div", { class: "filter-actions" }, h("button", { type: "submit", "data-testid": "graph-show" }, t("graph.show"))));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      go("/graph", { actor: sel.value, depth: dsel.value });
    });
    return form;
  });
  const centre = chosen || (list.find((a) => a.id === "actor-0") ?? list[0])?.id;
  if (!centre) return;
  replace(view, loading());
  let data: GraphData;
  let counts: { actors: number; partnerships: number };
  try {
    const res = await partnerships.exportGraph({ format: GraphFormat.JSON, aroundActorId: centre, depth }, { signal: route.signal });
    data = JSON.parse(res.content) as GraphData;
    counts = { actors: res.actors, partnerships: res.partnerships };
  } catch (err) {
    const p = problem(err);
    if (p.code === Code.Canceled) return;
    replace(view, errorBox(p, () => void graphPage(route)));
    return;
  }
  const name = data.actors.find((a) => a.id === centre)?.name ?? centre;
  const names = new Map(data.actors.map((a) => [a.id, a.name ?? a.id]));
  const canvas = h("div", { class: "graph-canvas", "data-testid": "graph-canvas", role: "img", "aria-label": t("graph.canvas") });
  const canvasBox = h("div", { class: "graph-box" }, h("p", { role: "status", class: "loading" }, t("graph.loadingLib")));
  const table = h(
    "table",
    { "data-testid": "graph-table" },
    h("caption", null, t("graph.tableTitle")),
    h("thead", null, h("tr", null, ...["graph.a", "graph.b", "graph.kind", "graph.trust"].map((k) => h("th", { scope: "col" }, t(k))))),
    h(
      "tbody",
      null,
      ...data.partnerships.map((p) =>
        h(
          "tr",
          null,
          h("td", null, h("a", { href: `#/graph?actor=${encodeURIComponent(p.a)}&depth=${depth}` }, names.get(p.a) ?? p.a)),
          h("td", null, h("a", { href: `#/graph?actor=${encodeURIComponent(p.b)}&depth=${depth}` }, names.get(p.b) ?? p.b)),
          h("td", null, t(`enums.partnershipKind.${p.kind}`)),
          h("td", null, num(p.trust, 2)),
        ),
      ),
    ),
  );
  replace(
    view,
    h("p", { "data-testid": "graph-summary" }, t("graph.summary", { actors: counts.actors, partnerships: counts.partnerships, depth, name })),
    canvasBox,
    scroller(t("graph.tableTitle"), table),
  );
  try {
    const { drawGraph } = await import("./graph-view");
    if (route.signal.aborted) return;
    replace(canvasBox, canvas);
    drawGraph(canvas, data, centre, (id) => go("/graph", { actor: id, depth }));
  } catch (err) {
    replace(canvasBox, errorBox(problem(err)));
  }
}
