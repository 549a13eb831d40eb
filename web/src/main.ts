// The hub in a browser: hash routes under "/", the page frame, the language menu and the session.

import "./style.css";
import { h, replace } from "./dom";
import { LANGS, lang, onLangChange, setLang, t, type Lang } from "./i18n";
import { onSessionChange, session, signOut } from "./session";
import { actor, forgetActors } from "./api";
import type { Route } from "./route";
import { dashboardPage } from "./pages/dashboard";
import { needPage, needsPage } from "./pages/needs";
import { offerPage, offersPage } from "./pages/offers";
import { practicePage, practicesPage } from "./pages/practices";
import { actorPage } from "./pages/actor";
import { graphPage } from "./pages/graph";
import { searchPage } from "./pages/search";
import { openDataPage } from "./pages/opendata";
import { signInPage } from "./pages/signin";
import { workspacePage } from "./pages/workspace";
import { needFormPage, offerFormPage } from "./pages/forms";
import { pageHeading, setTitle } from "./ui";

type Handler = (route: Route) => void | Promise<void>;

const routes: [RegExp, Handler][] = [
  [/^\/$/, dashboardPage],
  [/^\/needs$/, needsPage],
  [/^\/needs\/([^/]+)$/, needPage],
  [/^\/offers$/, offersPage],
  [/^\/offers\/([^/]+)$/, offerPage],
  [/^\/practices$/, practicesPage],
  [/^\/practices\/([^/]+)$/, practicePage],
  [/^\/actors\/([^/]+)$/, actorPage],
  [/^\/graph$/, graphPage],
  [/^\/search$/, searchPage],
  [/^\/open-data$/, openDataPage],
  [/^\/signin$/, signInPage],
  [/^\/me$/, workspacePage],
  [/^\/me\/needs\/new$/, (r) => needFormPage(r, null)],
  [/^\/me\/needs\/([^/]+)\/edit$/, (r) => needFormPage(r, r.params[0])],
  [/^\/me\/offers\/new$/, (r) => offerFormPage(r, null)],
  [/^\/me\/offers\/([^/]+)\/edit$/, (r) => offerFormPage(r, r.params[0])],
];

const NAV: [string, string][] = [
  ["#/", "nav.dashboard"],
  ["#/needs", "nav.needs"],
  ["#/offers", "nav.offers"],
  ["#/practices", "nav.practices"],
  ["#/graph", "nav.graph"],
  ["#/search", "nav.search"],
  ["#/open-data", "nav.openData"],
];

const header = h("header", { class: "site-header" });
const main = h("main", { id: "main", tabindex: -1 });
const footer = h("footer", { class: "site-footer" });
let controller: AbortController | null = null;
let firstRender = true;

function currentPath(): { path: string; query: URLSearchParams } {
  const hash = window.location.hash.replace(/^#/, "") || "/";
  const [path, query = ""] = hash.split("?", 2);
  return { path: path || "/", query: new URLSearchParams(query) };
}

function renderHeader(): void {
  const { path } = currentPath();
  const s = session();
  const langSelect = h("select", { id: "lang-select", "data-testid": "lang-select" });
  for (const l of LANGS) langSelect.append(h("option", { value: l.code, selected: l.code === lang(), lang: l.code }, l.name));
  langSelect.addEventListener("change", () => setLang(langSelect.value as Lang));
  const nav = h("nav", { "aria-label": t("app.nav"), class: "site-nav" });
  const ul = h("ul", null);
  const links: [string, string][] = [...NAV, s ? ["#/me", "nav.workspace"] : ["#/signin", "nav.signIn"]];
  for (const [href, key] of links) {
    const target = href.slice(1);
    const isCurrent = target === "/" ? path === "/" : path === target || path.startsWith(`${target}/`);
    ul.append(h("li", null, h("a", { href, "aria-current": isCurrent ? "page" : null, "data-testid": `nav-${key.split(".")[1]}` }, t(key))));
  }
  nav.append(ul);
  const who = h("div", { class: "session" });
  if (s) {
    const name = h("span", { "data-testid": "session-actor" }, s.actorId);
    void actor(s.actorId).then((a) => {
      if (a?.name) name.textContent = `${a.name} (${s.actorId})`;
    });
    who.append(
      h("span", { class: "muted" }, t("session.signedInAs", { actor: "" })),
      name,
      h("button", { type: "button", class: "link-button", "data-testid": "sign-out", onclick: () => { signOut(); window.location.hash = "#/"; } }, t("nav.signOut")),
    );
  }
  replace(
    header,
    h("a", { class: "skip", href: "#main", onclick: (e: Event) => { e.preventDefault(); main.focus(); } }, t("app.skip")),
    h(
      "div",
      { class: "header-top" },
      h("a", { class: "brand", href: "#/" }, h("span", { class: "brand-mark", "aria-hidden": "true" }, "◆"), t("app.name")),
      h("div", { class: "header-tools" }, who, h("div", { class: "lang" }, h("label", { for: "lang-select" }, t("app.language")), langSelect)),
    ),
    nav,
  );
  replace(footer, h("p", null, t("app.footer")));
}

async function render(): Promise<void> {
  controller?.abort();
  controller = new AbortController();
  const { path, query } = currentPath();
  renderHeader();
  replace(main);
  document.documentElement.removeAttribute("data-ready");
  let handled = false;
  for (const [pattern, handler] of routes) {
    const m = pattern.exec(path);
    if (!m) continue;
    handled = true;
    const route: Route = {
      main,
      params: m.slice(1).map((p) => decodeURIComponent(p)),
      query,
      signal: controller.signal,
    };
    const done = handler(route);
    if (!firstRender) (document.getElementById("page-title") ?? main).focus();
    await done;
    break;
  }
  if (!handled) {
    setTitle(t("app.notFound"));
    replace(main, pageHeading(t("app.notFound")), h("p", null, h("a", { href: "#/" }, t("app.home"))));
    if (!firstRender) main.focus();
  }
  firstRender = false;
}

function start(): void {
  document.documentElement.lang = lang();
  const root = document.getElementById("app");
  if (!root) throw new Error("no #app element");
  replace(root, header, main, footer);
  window.addEventListener("hashchange", () => void render());
  onLangChange(() => void render());
  onSessionChange(() => {
    forgetActors();
    renderHeader();
  });
  void render();
}

start();
