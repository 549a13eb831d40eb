// Shared pieces of the interface: loading and error states, links to records, labels, pagers.

import { h, replace, scroller, type Child } from "./dom";
import { problem, type Problem } from "./errors";
import { enumLabel, t, objective, region, num } from "./i18n";
import { actor } from "./api";
import { session, signOut } from "./session";
import type { Route } from "./route";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { when } from "./util";
import { Code } from "@connectrpc/connect";
import {
  ActorKind, Level, MatchStatus, MgiDimension, Modality, NeedStatus, OfferStatus, PartnershipKind, Urgency,
} from "./gen/capacityhub/v1/common_pb";

export function loading(): HTMLElement {
  return h("p", { class: "loading", role: "status", "data-testid": "loading" }, h("span", { class: "spinner", "aria-hidden": "true" }), t("app.loading"));
}

/** The hub's own (English) message, as a detail after the words shown, unless they already hold it. */
export function said(p: Problem, tag: "p" | "span"): HTMLElement | null {
  return p.raw && p.text.indexOf(p.raw) < 0 ? h(tag, { class: "muted" }, t("errors.said"), " ", h("span", { lang: "en" }, p.raw)) : null;
}

export function errorBox(p: Problem, retry?: () => void): HTMLElement {
  const box = h(
    "div",
    { class: "error", role: "alert", "data-testid": "error", "data-code": p.codeName, "data-reason": p.reason || null, "data-source": p.reason ? "error-info" : null },
    h("p", { "data-testid": "error-text" }, p.text),
    said(p, "p"),
  );
  if (p.code === Code.Unauthenticated) {
    box.append(h("p", null, h("a", { href: "#/signin", onclick: () => signOut() }, t("errors.signInAgain"))));
  }
  if (retry) box.append(h("button", { type: "button", class: "secondary", onclick: retry }, t("app.retry")));
  return box;
}

/** Shows a loading state in `el`, then what `render` makes of the data, or the error in words. */
export async function load<T>(el: HTMLElement, fetch: () => Promise<T>, render: (data: T) => Child): Promise<void> {
  replace(el, loading());
  el.setAttribute("aria-busy", "true");
  try {
    const data = await fetch();
    if (!el.isConnected && el.parentNode === null) return;
    replace(el, render(data));
  } catch (err) {
    if ((err as { name?: string }).name === "AbortError") return;
    const p = problem(err);
    if (p.code === Code.Canceled) return;
    replace(el, errorBox(p, () => void load(el, fetch, render)));
  } finally {
    el.removeAttribute("aria-busy");
  }
}

export function link(href: string, ...children: Child[]): HTMLAnchorElement {
  return h("a", { href }, ...children);
}

/** A link to an actor that shows its name once known. */
export function actorLink(id: string): HTMLElement {
  if (!id) return h("span", null, "");
  const a = h("a", { href: `#/actors/${encodeURIComponent(id)}`, "data-actor": id }, id);
  void actor(id).then((found) => {
    if (found?.name) {
      a.textContent = found.name;
      a.title = id;
    }
  });
  return a;
}

export const needLink = (id: string) => link(`#/needs/${encodeURIComponent(id)}`, id);
export const offerLink = (id: string) => link(`#/offers/${encodeURIComponent(id)}`, id);
export const practiceLink = (id: string) => link(`#/practices/${encodeURIComponent(id)}`, id);

export const modality = (m: Modality) => enumLabel("modality", Modality[m]);
export const level = (l: Level) => enumLabel("level", Level[l]);
export const urgency = (u: Urgency) => enumLabel("urgency", Urgency[u === Urgency.UNSPECIFIED ? Urgency.NORMAL : u]);
export const actorKind = (k: ActorKind) => enumLabel("actorKind", ActorKind[k]);
export const partnershipKind = (k: PartnershipKind) => enumLabel("partnershipKind", PartnershipKind[k]);
export const mgi = (d: MgiDimension) => enumLabel("mgi", MgiDimension[d]);

export function badge(kind: "need" | "offer" | "match", value: number, testid?: string): HTMLElement {
  const name =
    kind === "need" ? NeedStatus[value] : kind === "offer" ? OfferStatus[value] : MatchStatus[value];
  const group = kind === "need" ? "needStatus" : kind === "offer" ? "offerStatus" : "matchStatus";
  return h("span", { class: `badge badge-${(name ?? "").toLowerCase()}`, "data-status": name, "data-testid": testid }, enumLabel(group, name));
}

export function themes(list: number[]): string {
  return list.map((n) => objective(n)).join("; ");
}

export function themeNumbers(list: number[]): string {
  return list.join(", ");
}

export function regions(list: string[]): string {
  return list.map(region).join(", ");
}

export function score(value: number): string {
  return num(value, 2);
}

/** A definition list from [term, description] pairs, skipping empty descriptions. */
export function facts(rows: [string, Child][]): HTMLElement {
  const dl = h("dl", { class: "facts" });
  for (const [term, desc] of rows) {
    if (desc === "" || desc === null || desc === undefined || (Array.isArray(desc) && !desc.length)) continue;
    dl.append(h("dt", null, term), h("dd", null, desc));
  }
  return dl;
}

/** Paging with page tokens: keeps the tokens of the pages seen for "previous". */
export class Pager {
  private tokens: string[] = [""];
  private index = 0;
  next = "";
  constructor(private readonly reload: () => void) {}
  get token(): string {
    return this.tokens[this.index];
  }
  reset(): void {
    this.tokens = [""];
    this.index = 0;
    this.next = "";
  }
  controls(label: string): HTMLElement {
    const nav = h("nav", { class: "pager", "aria-label": label });
    const prev = h("button", { type: "button", class: "secondary", "data-testid": "page-prev", disabled: this.index === 0 }, t("list.prev"));
    prev.addEventListener("click", () => {
      if (this.index > 0) {
        this.index -= 1;
        this.reload();
      }
    });
    const next = h("button", { type: "button", class: "secondary", "data-testid": "page-next", disabled: !this.next }, t("list.next"));
    next.addEventListener("click", () => {
      if (!this.next) return;
      this.tokens = this.tokens.slice(0, this.index + 1);
      this.tokens.push(this.next);
      this.index += 1;
      this.reload();
    });
    nav.append(prev, h("span", { class: "muted" }, t("list.page", { n: this.index + 1 })), next);
    return nav;
  }
}

export function pageHeading(text: string, ...extra: Child[]): HTMLElement {
  return h("div", { class: "page-head" }, h("h1", { tabindex: -1, id: "page-title" }, text), ...extra);
}

export function setTitle(text: string): void {
  document.title = `${text} · ${t("app.name")}`;
}

/** A small select of enum values, with "any" first (value 0). */
export function enumSelect(id: string, enumObj: Record<string, string | number>, group: string, selected: number, anyLabel?: string): HTMLSelectElement {
  const sel = h("select", { id, name: id });
  if (anyLabel !== undefined) sel.append(h("option", { value: "0" }, anyLabel));
  for (const [name, value] of Object.entries(enumObj)) {
    if (typeof value !== "number" || value === 0) continue;
    sel.append(h("option", { value: String(value), selected: value === selected }, enumLabel(group, name)));
  }
  return sel;
}

export function objectiveSelect(id: string, selected: number): HTMLSelectElement {
  const sel = h("select", { id, name: id }, h("option", { value: "0" }, t("list.any")));
  for (let n = 1; n <= 23; n++) sel.append(h("option", { value: String(n), selected: n === selected }, objective(n)));
  return sel;
}

export function field(label: string, control: HTMLElement, help?: string): HTMLElement {
  const id = control.id;
  const helpId = help ? `${id}-help` : undefined;
  if (helpId) control.setAttribute("aria-describedby", helpId);
  return h("div", { class: "field" }, h("label", { for: id }, label), control, help ? h("p", { class: "help", id: helpId }, help) : null);
}

/**
 * A table of `items`, one row each, in a keyboard-scrollable wrapper named `label`. A cell that
 * is not already a <td> or <th> goes in a <td>.
 */
export function dataTable<T>(
  label: string,
  headings: Child[],
  items: T[],
  cells: (item: T) => Child[],
  opts: { attrs?: Record<string, string>; row?: (item: T) => Record<string, string>; caption?: boolean } = {},
): HTMLElement {
  const cell = (c: Child) => (c instanceof HTMLTableCellElement ? c : h("td", null, c));
  const table = h(
    "table",
    opts.attrs ?? null,
    opts.caption ? h("caption", { class: "visually-hidden" }, label) : null,
    h("thead", null, h("tr", null, ...headings.map((x) => h("th", { scope: "col" }, x)))),
    h("tbody", null, ...items.map((item) => h("tr", opts.row?.(item) ?? null, ...cells(item).map(cell)))),
  );
  return scroller(label, table);
}

/** A section titled `title` (with an optional line of help) and the element to fill: [section, body]. */
export function section(id: string, title: string, testid: string, help?: string): [HTMLElement, HTMLElement] {
  const body = h("div", { "data-testid": testid });
  const el = h("section", { "aria-labelledby": id }, h("h2", { id }, title), help ? h("p", { class: "muted" }, help) : null, body);
  return [el, body];
}

/**
 * A record's page: a heading that becomes the record's title once it is read, then what `render`
 * makes of it. Resolves to the record, or null when it could not be read (the error is shown).
 */
export async function recordPage<T>(
  route: Route,
  heading: string,
  testid: string,
  fetch: (signal: AbortSignal) => Promise<T>,
  title: (record: T) => string,
  render: (record: T, h1: HTMLElement) => Child,
): Promise<T | null> {
  setTitle(heading);
  const head = pageHeading(heading);
  const body = h("div", { "data-testid": testid });
  route.main.append(head, body);
  let found: T | null = null;
  await load(body, () => fetch(route.signal), (record) => {
    found = record;
    const h1 = head.querySelector("h1")!;
    h1.textContent = title(record);
    setTitle(title(record));
    return render(record, h1);
  });
  return found;
}

/** "start – end" of a window, or "" when it has neither. */
export function windowText(w: { startDate: string; endDate: string } | undefined): string {
  return w && (w.startDate || w.endDate) ? `${w.startDate || "…"} – ${w.endDate || "…"}` : "";
}

/** The page for a signed-in actor only: false, with a link to sign in, when nobody is. */
export function signedIn(route: Route, title: string): boolean {
  if (session()) return true;
  route.main.append(pageHeading(title), h("p", null, t("workspace.needSignIn"), " ", h("a", { href: "#/signin" }, t("nav.signIn"))));
  return false;
}

/** A list of `items` (each in an <li> unless `item` makes one), or a line saying there are none. */
export function listOf<T>(items: T[], none: string, tag: "ol" | "ul", cls: string, item: (x: T, i: number) => Child): HTMLElement {
  if (!items.length) return h("p", null, none);
  return h(tag, { class: cls }, ...items.map((x, i) => {
    const made = item(x, i);
    return made instanceof HTMLLIElement ? made : h("li", null, made);
  }));
}

/** A table of needs or offers: id, title, the actor, status, objectives, then `more` columns. */
export function recordTable<T extends { id: string; title: string; status: number; themes: number[] }>(
  label: string,
  kind: "need" | "offer",
  list: T[],
  actorColumn: [string, (r: T) => string],
  more: [string, (r: T) => Child][],
): HTMLElement {
  const href = (r: T) => `#/${kind}s/${encodeURIComponent(r.id)}`;
  return dataTable(
    label,
    [t("list.id"), t("list.title"), actorColumn[0], t("list.status"), t("list.themes"), ...more.map(([heading]) => heading)],
    list,
    (r) => [link(href(r), r.id), link(href(r), r.title), actorLink(actorColumn[1](r)), badge(kind, r.status), h("td", { title: themes(r.themes) }, r.themes.join(", ")), ...more.map(([, cell]) => cell(r))],
    { row: (r) => ({ "data-testid": `${kind}-row-${r.id}` }) },
  );
}

type Listing = {
  id: string; status: number; themes: number[]; modalities: number[]; languages: string[]; description: string; stale: boolean;
  window?: { startDate: string; endDate: string }; createdAt?: Timestamp; updatedAt?: Timestamp;
};

/**
 * A need's or an offer's details: the facts both have around `own` ones, its description, and a
 * link to edit it for its owner.
 */
export function listingDetails(kind: "need" | "offer", r: Listing, actor: [label: string, id: string], own: [string, Child][], editable: boolean, after: [string, Child][] = []): Child[] {
  return [
    r.stale ? h("p", { class: "warning" }, t("needs.stale")) : null,
    facts([
      [t("list.id"), r.id],
      [actor[0], actorLink(actor[1])],
      [t("list.status"), badge(kind, r.status, `${kind}-status`)],
      [t("list.themes"), h("ul", { class: "plain" }, ...r.themes.map((x) => h("li", null, objective(x))))],
      [t("list.modalities"), r.modalities.map(modality).join(", ")],
      ...own,
      [t("needs.window"), windowText(r.window)],
      [t("needs.created"), when(r.createdAt)],
      [t("needs.updated"), when(r.updatedAt)],
      ...after,
    ]),
    r.description ? h("div", { class: "record-text" }, h("h2", null, t("needs.description")), h("p", { lang: r.languages[0] || null }, r.description)) : null,
    editable ? h("p", null, h("a", { class: "button secondary", href: `#/me/${kind}s/${encodeURIComponent(r.id)}/edit`, "data-testid": `edit-${kind}` }, t("needs.edit"))) : null,
  ];
}
