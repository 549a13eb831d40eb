#!/usr/bin/env node
// End-to-end test of the hub's browser app against a running hub (gRPC-Web and the app on one port).
//
//   HUB_URL=http://127.0.0.1:50061 HUB_ADMIN_TOKEN=... node e2e/run.mjs
//
// Env: HUB_URL (default http://127.0.0.1:50051), HUB_ADMIN_TOKEN (optional: without it the
// provider side registers its own actor and offer through the page), CHROMIUM (default
// /usr/bin/chromium), SCREENSHOTS (default web/e2e/screenshots), DOCS_SCREENSHOTS (optional: a
// folder that receives web-dashboard.png, web-need.png and web-workspace.png, 1280x800 views for
// the README). Exits non-zero on any failure.
import { chromium } from "playwright-core";
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const HUB = (process.env.HUB_URL || "http://127.0.0.1:50051").replace(/\/$/, "");
const ADMIN = process.env.HUB_ADMIN_TOKEN || "";
const SHOTS = process.env.SCREENSHOTS || join(here, "screenshots");
const DOCS = process.env.DOCS_SCREENSHOTS || "";
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const TIMEOUT = Number(process.env.E2E_TIMEOUT_MS || 20000);
const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const FLAGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

mkdirSync(SHOTS, { recursive: true });
const results = [];
let shot = 0;
const problems = [];
const axeResults = [];

function log(msg) {
  process.stdout.write(`${msg}\n`);
}

async function step(name, fn) {
  const started = Date.now();
  try {
    const value = await fn();
    results.push({ name, ok: true, ms: Date.now() - started });
    log(`  ok   ${name} (${Date.now() - started} ms)`);
    return value;
  } catch (err) {
    results.push({ name, ok: false, ms: Date.now() - started, error: err });
    log(`  FAIL ${name}: ${err && err.message ? err.message.split("\n").slice(0, 6).join("\n       ") : err}`);
    throw err;
  }
}

async function snap(page, label) {
  shot += 1;
  const file = join(SHOTS, `${String(shot).padStart(2, "0")}-${label}.png`);
  await page.screenshot({ path: file, fullPage: true });
}

/** A 1280x800 view of the page, scrolled to `selector` if given, for the README (DOCS_SCREENSHOTS). */
async function docShot(page, name, selector) {
  if (!DOCS) return;
  mkdirSync(DOCS, { recursive: true });
  const before = page.viewportSize();
  await page.setViewportSize({ width: 1280, height: 800 });
  if (selector) await page.locator(selector).first().evaluate((el) => el.scrollIntoView({ block: "start" }));
  else await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(150);
  await page.screenshot({ path: join(DOCS, `${name}.png`) });
  await page.setViewportSize(before);
  log(`       saved ${join(DOCS, `${name}.png`)}`);
}

/** Runs axe-core in the page; fails on serious or critical violations. */
async function axe(page, label) {
  await page.evaluate(`${AXE_SOURCE}\n;0`);
  const res = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")) }));
  });
  const bad = res.filter((v) => v.impact === "serious" || v.impact === "critical");
  const minor = res.filter((v) => !(v.impact === "serious" || v.impact === "critical"));
  axeResults.push({ label, serious: bad.length, minor: minor.length });
  log(`       axe (${label}): ${bad.length} serious/critical, ${minor.length} minor/moderate${minor.length ? ` (${minor.map((v) => `${v.impact} ${v.id}`).join(", ")})` : ""}`);
  if (bad.length) {
    throw new Error(`axe on ${label}: ${bad.map((v) => `${v.impact} ${v.id} (${v.help}) at ${v.nodes.join(", ")}`).join("; ")}`);
  }
}

function watchPage(page, who) {
  page.on("pageerror", (err) => problems.push(`${who}: page error: ${err.message}`));
  page.on("console", (msg) => {
    const text = msg.text();
    if (/Content.Security.Policy|Refused to/i.test(text)) problems.push(`${who}: CSP: ${text}`);
  });
}

async function newContext(browser, who) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "en-GB" });
  await ctx.addInitScript(() => {
    window.__csp = [];
    document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const page = await ctx.newPage();
  page.setDefaultTimeout(TIMEOUT);
  watchPage(page, who);
  return { ctx, page };
}

async function cspCheck(page, label) {
  const v = await page.evaluate(() => window.__csp || []);
  if (v.length) throw new Error(`CSP violations on ${label}: ${v.join("; ")}`);
}

async function goto(page, hash) {
  await page.evaluate((h) => { window.location.hash = h; }, hash);
}

async function main() {
  log(`capacity-hub e2e against ${HUB} (screenshots in ${SHOTS})`);
  // Playwright starts Chromium with a fresh, empty profile of its own (it refuses --user-data-dir).
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
  let exitCode = 0;
  try {
    const A = await newContext(browser, "A");
    const B = await newContext(browser, "B");
    const a = A.page;
    const b = B.page;

    // 1. The dashboard, with its first-load cost.
    const responses = [];
    a.on("requestfinished", async (req) => {
      try {
        const s = await req.sizes();
        responses.push({ url: req.url(), body: s.responseBodySize, headers: s.responseHeadersSize });
      } catch { /* ignore */ }
    });
    let csp = "";
    await step("dashboard loads with its data (GetStats)", async () => {
      const resp = await a.goto(`${HUB}/`, { waitUntil: "domcontentloaded" });
      if (!resp || !resp.ok()) throw new Error(`GET / answered ${resp && resp.status()}`);
      csp = resp.headers()["content-security-policy"] || "";
      await a.waitForSelector("html[data-ready=dashboard]");
      await a.getByTestId("stat-open-needs").waitFor();
      await a.waitForLoadState("load");
    });
    const perf = await a.evaluate(() => {
      const nav = performance.getEntriesByType("navigation")[0];
      const res = performance.getEntriesByType("resource");
      const ready = performance.getEntriesByName("hub-ready")[0];
      return {
        transfer: nav.transferSize + res.reduce((s, r) => s + r.transferSize, 0),
        encoded: nav.encodedBodySize + res.reduce((s, r) => s + r.encodedBodySize, 0),
        decoded: nav.decodedBodySize + res.reduce((s, r) => s + r.decodedBodySize, 0),
        domInteractive: nav.domInteractive,
        domContentLoaded: nav.domContentLoadedEventEnd,
        ready: ready ? ready.startTime : null,
        resources: [nav, ...res].map((r) => `${r.name.replace(location.origin, "") || "/"} ${r.transferSize}/${r.encodedBodySize}/${r.decodedBodySize}`),
      };
    });
    const reported = responses.reduce((s, r) => s + Math.max(0, r.body) + Math.max(0, r.headers), 0);
    // The two lines to quote: what the first load moves, and when the page can be used.
    log(`       FIRST LOAD: ${perf.encoded} B compressed, ${perf.decoded} B uncompressed (response bodies of the ${perf.resources.length} requests listed below); ${perf.transfer} B transferred with headers`);
    log(`       TIME TO INTERACTIVE: domInteractive ${perf.domInteractive.toFixed(0)} ms; app ready (hub-ready mark, dashboard data shown) ${perf.ready === null ? "n/a" : `${perf.ready.toFixed(0)} ms`}`);
    log(`         (DOMContentLoaded ${perf.domContentLoaded.toFixed(0)} ms; the browser's own count: ${reported} B in ${responses.length} responses, headers included; per request transferred/compressed/uncompressed:)`);
    for (const r of perf.resources) log(`         ${r}`);
    log(`       Content-Security-Policy: ${csp || "(none sent)"}`);
    if (perf.encoded > 500 * 1024) throw new Error(`first load ${perf.encoded} B is over 500 KB`);
    await step("dashboard: axe, CSP", async () => {
      await snap(a, "dashboard");
      await docShot(a, "web-dashboard");
      await axe(a, "dashboard");
      await cspCheck(a, "dashboard");
    });
    await step("dashboard at 375 px width", async () => {
      await a.setViewportSize({ width: 375, height: 800 });
      const overflow = await a.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      await snap(a, "dashboard-375px");
      await a.setViewportSize({ width: 1280, height: 900 });
      if (overflow > 1) throw new Error(`the page is ${overflow} px wider than a 375 px screen`);
    });
    await step("language switch (French, then back to English)", async () => {
      await a.selectOption("#lang-select", "fr");
      await a.getByRole("heading", { level: 1, name: "La plateforme en un coup d'œil" }).waitFor();
      const lang = await a.evaluate(() => document.documentElement.lang);
      if (lang !== "fr") throw new Error(`html lang is ${lang}`);
      await snap(a, "dashboard-fr");
      await a.selectOption("#lang-select", "en");
      await a.getByRole("heading", { level: 1, name: "The hub at a glance" }).waitFor();
    });

    // 2. need-151, its ranked candidates and their explanations.
    let firstOffer = "";
    await step("needs list -> need-151 -> ranked, explained candidates", async () => {
      await a.getByTestId("nav-needs").click();
      await a.getByTestId("need-row-need-151").waitFor();
      await axe(a, "needs list");
      await snap(a, "needs");
      await a.getByTestId("need-row-need-151").getByRole("link", { name: "need-151" }).click();
      await a.waitForURL(/#\/needs\/need-151$/);
      await a.locator("[data-testid=candidates] li.candidate").first().waitFor();
      const cands = await a.locator("[data-testid=candidates] li.candidate").evaluateAll((els) =>
        els.map((el) => ({ id: el.getAttribute("data-testid"), score: el.querySelector(".score")?.textContent, why: el.querySelector(".explanation")?.textContent })));
      if (!cands.length) throw new Error("no candidates");
      for (const c of cands) if (!c.why || !c.score) throw new Error(`candidate ${c.id} has no score or explanation`);
      firstOffer = cands[0].id.replace("candidate-", "");
      log(`       ${cands.length} candidates; first ${firstOffer}: ${cands[0].score}; ${cands[0].why.slice(0, 120)}…`);
      await a.locator("[data-testid=candidates] details.why").first().locator("summary").click();
      const comps = await a.locator("[data-testid=candidates] details.why").first().locator("tbody tr").count();
      if (comps < 5) throw new Error(`only ${comps} score components shown`);
      await a.getByTestId("bundles").locator("p, ol").first().waitFor();
      await a.getByTestId("related").locator("p, ul").first().waitFor();
      await snap(a, "need-151");
      await docShot(a, "web-need", "#cand-h");
      await axe(a, "need-151");
      await cspCheck(a, "need-151");
    });
    await step("offer page with the needs it can serve (FindNeeds)", async () => {
      await goto(a, `#/offers/${firstOffer}`);
      await a.getByTestId("offer-status").waitFor();
      await a.getByTestId("offer-needs").locator("ol, p").first().waitFor();
      await snap(a, "offer");
      await axe(a, "offer");
    });
    await step("partnership graph (cytoscape, lazily loaded)", async () => {
      await goto(a, "#/graph?actor=actor-40&depth=2");
      await a.getByTestId("graph-summary").waitFor();
      await a.locator("[data-testid=graph-canvas] canvas").first().waitFor();
      await a.waitForTimeout(500);
      await snap(a, "graph");
      await axe(a, "graph");
      await cspCheck(a, "graph");
    });
    await step("search", async () => {
      await goto(a, "#/search");
      await a.getByTestId("search-input").fill("trata de personas");
      await a.getByTestId("search-go").click();
      await a.locator("[data-testid=search-results] li").first().waitFor();
      await snap(a, "search");
      await axe(a, "search");
    });
    await step("practices and open data (JSON Lines download)", async () => {
      await goto(a, "#/practices");
      await a.locator("[data-testid=practices-list] tbody tr").first().waitFor();
      await axe(a, "practices");
      await goto(a, "#/open-data");
      const [download] = await Promise.all([a.waitForEvent("download"), a.getByTestId("download-jsonl").click()]);
      const path = await download.path();
      const lines = readFileSync(path, "utf8").trim().split("\n");
      if (lines.length < 50) throw new Error(`only ${lines.length} records exported`);
      JSON.parse(lines[0]);
      log(`       ${lines.length} open-data records as JSON Lines`);
      await snap(a, "open-data");
      await axe(a, "open data");
    });

    // 3. Two actors: A registers through the page (then signs in with its token); B is the
    // admin acting for the provider, or without an admin token registers with its own offer.
    const stamp = Date.now().toString(36);
    const registerThroughPage = async (page, name, country) => {
      if (!page.url().startsWith(HUB)) await page.goto(`${HUB}/#/signin`);
      await goto(page, "#/signin");
      await page.getByTestId("register-name").fill(name);
      await page.getByTestId("register-country").fill(country);
      await page.getByTestId("register-languages").fill("es, en");
      await page.getByTestId("register-submit").click();
      const reg = page.getByTestId("registered");
      await reg.waitFor();
      return { id: await reg.getAttribute("data-actor-id"), token: await page.getByTestId("new-token").inputValue() };
    };
    // The token alone (WhoAmI tells whom it acts for); the admin token then names, in the
    // "act for" field, the actor it acts for (checked with GetActor).
    const signInThroughPage = async (page, token, actFor) => {
      await goto(page, "#/signin");
      await page.getByTestId("signin-token").fill(token);
      await page.getByTestId("signin-submit").click();
      if (actFor) {
        await page.getByTestId("signin-actor").fill(actFor);
        await page.getByTestId("signin-act-submit").click();
      }
      await page.waitForURL(/#\/me$/);
      const shown = page.getByTestId("session-actor");
      await shown.waitFor();
      return shown;
    };
    const requester = await step("A registers an actor through the page (RegisterActor)", async () => {
      const r = await registerThroughPage(a, `E2E requester ${stamp}`, "HND");
      if (!r.id || !r.token) throw new Error("no actor id or token shown");
      await snap(a, "registered");
      await axe(a, "sign in / register");
      return r;
    });
    await step("A signs out and signs in again with its token", async () => {
      await a.getByTestId("sign-out").click();
      const shown = await signInThroughPage(a, requester.token);
      if (!((await shown.textContent()) || "").includes(requester.id)) throw new Error(`signed in as "${await shown.textContent()}", not ${requester.id}`);
    });
    await step("a wrong token is refused beside the token field (TOKEN_INVALID), the session kept", async () => {
      await goto(a, "#/signin");
      await a.getByTestId("signin-token").fill(`${requester.token}-wrong`);
      await a.getByTestId("signin-submit").click();
      const err = a.getByTestId("field-error-token");
      await err.waitFor({ state: "visible" });
      const reason = await err.getAttribute("data-reason");
      if (reason !== "TOKEN_INVALID") throw new Error(`the token's error has data-reason "${reason}"`);
      if ((await err.getAttribute("data-source")) !== "error-info") throw new Error("the token's refusal was not read from an ErrorInfo");
      const input = a.getByTestId("signin-token");
      if ((await input.getAttribute("aria-invalid")) !== "true") throw new Error("the token field is not aria-invalid");
      if (!((await input.getAttribute("aria-describedby")) || "").split(" ").includes(await err.getAttribute("id"))) throw new Error("the token field's aria-describedby does not name the error");
      const words = ((await err.getByTestId("error-text").textContent()) || "").trim();
      if (!words || /TOKEN_INVALID/.test((await err.textContent()) || "")) throw new Error(`the refusal reads "${words}"`);
      const kept = await a.evaluate(() => JSON.parse(sessionStorage.getItem("capacity-hub.session") || "{}"));
      if (kept.token !== requester.token || kept.actorId !== requester.id) throw new Error("the refused token replaced the session");
      log(`       refused beside the token: ${words} (data-reason ${reason})`);
      await snap(a, "signin-token-refused");
      await axe(a, "sign in with a refused token");
    });
    let provider = null;
    let ownOffer = "";
    if (!ADMIN) {
      provider = await step("B registers a provider and an offer through the page (no admin token given)", async () => {
        const p = await registerThroughPage(b, `E2E provider ${stamp}`, "MEX");
        await goto(b, "#/me/offers/new");
        await b.getByTestId("offer-title").fill("Consular protection training for Central American consular officers");
        await b.locator("#of-themes-13").check();
        await b.locator("#of-modalities-0").check();
        await b.getByTestId("offer-countries").fill("HND");
        await b.getByTestId("offer-capacity").fill("2");
        await b.getByTestId("offer-submit").click();
        await b.waitForURL(/#\/offers\/offer-\d+$/);
        ownOffer = b.url().split("/").pop();
        return p;
      });
    }

    // 4. A submits a need with a wrong field, sees the error beside it, fixes it, submits.
    let needId = "";
    await step("A submits a need with a wrong country: the error appears beside the field", async () => {
      await goto(a, "#/me/needs/new");
      await a.getByTestId("need-title").fill("Consular protection training for our consular officers in Mexico and the United States");
      await a.getByTestId("need-description").fill("Honduras seeks training for its consular officers on consular protection and assistance to nationals abroad, in Spanish.");
      await a.locator("#nf-themes-13").check(); // objective 14
      await a.locator("#nf-modalities-0").check(); // training
      await a.getByTestId("need-countries").fill("HND, XXX");
      await a.getByTestId("need-languages").fill("es");
      await a.getByTestId("need-submit").click();
      const err = a.getByTestId("field-error-countries");
      await err.waitFor({ state: "visible" });
      const text = await err.textContent();
      if (!/XXX/.test(text || "")) throw new Error(`the countries error does not name XXX: ${text}`);
      const input = a.getByTestId("need-countries");
      if ((await input.getAttribute("aria-invalid")) !== "true") throw new Error("countries is not aria-invalid");
      const described = (await input.getAttribute("aria-describedby")) || "";
      if (!described.split(" ").includes(await err.getAttribute("id"))) throw new Error(`aria-describedby "${described}" does not name the error`);
      // The error came from the details (google.rpc.BadRequest), not from the message: the app
      // marks it so, names the violation's field path, and the summary carries the reason.
      const source = await err.getAttribute("data-source");
      if (source !== "bad-request") throw new Error(`the countries error's data-source is "${source}", not "bad-request"`);
      const paths = await err.locator("[data-violation]").evaluateAll((els) => els.map((el) => el.getAttribute("data-violation")));
      if (!paths.some((f) => /(^|\.)countries\[1\]$/.test(f || ""))) throw new Error(`the violation names ${JSON.stringify(paths)}, not countries[1]`);
      const summaryReason = await a.getByTestId("form-invalid").getAttribute("data-reason");
      if (summaryReason !== "FIELD_RULES_BROKEN") throw new Error(`the form's summary has data-reason "${summaryReason}"`);
      const otherErrors = await a.locator("[data-testid^=field-error-]:visible").count();
      if (otherErrors !== 1) throw new Error(`${otherErrors} fields show errors; expected only countries`);
      log(`       beside countries (from BadRequest ${paths.join(", ")}): ${text}`);
      await snap(a, "need-form-error");
      await axe(a, "need form with an error");
    });
    await step("A fixes the field and submits the need", async () => {
      await a.getByTestId("need-countries").fill("HND");
      await a.getByTestId("need-submit").click();
      await a.waitForURL(/#\/needs\/need-\d+$/);
      needId = a.url().split("/").pop();
      await a.getByTestId("need-status").waitFor();
      await a.locator("[data-testid=candidates] li.candidate, [data-testid=candidates] p").first().waitFor();
      await snap(a, "need-submitted");
      log(`       submitted ${needId}`);
    });

    // 5. A proposes a match.
    let matchId = "";
    let offerId = "";
    let providerId = "";
    await step("A proposes a match to a ranked offer", async () => {
      const preferred = ownOffer || "offer-112";
      let button = a.getByTestId(`propose-${preferred}`);
      if (!(await button.count())) button = a.locator("[data-testid^=propose-]").first();
      if (!(await button.count())) throw new Error("no candidate offer can be proposed");
      offerId = (await button.getAttribute("data-testid")).replace("propose-", "");
      providerId = await a.getByTestId(`candidate-${offerId}`).locator("[data-actor]").first().getAttribute("data-actor");
      await button.click();
      const done = a.getByTestId("proposed");
      await done.waitFor();
      matchId = await done.getAttribute("data-match-id");
      log(`       ${matchId}: ${needId} x ${offerId} (provider ${providerId})`);
      await snap(a, "proposed");
    });
    await step("A proposes the same pair again: refused in words, reason read (MATCH_ALREADY_LIVE)", async () => {
      await goto(a, "#/needs");
      await goto(a, `#/needs/${needId}`);
      const button = a.getByTestId(`propose-${offerId}`);
      await button.click();
      const box = a.getByTestId(`candidate-${offerId}`).locator("[data-testid=error]");
      await box.waitFor();
      const reason = await box.getAttribute("data-reason");
      if (reason !== "MATCH_ALREADY_LIVE") throw new Error(`the refusal's data-reason is "${reason}"`);
      if ((await box.getAttribute("data-source")) !== "error-info") throw new Error("the refusal was not read from an ErrorInfo");
      const words = (await box.getByTestId("error-text").textContent()) || "";
      const expected = "This need already has a live match with this offer.";
      if (words.trim() !== expected) throw new Error(`the refusal reads "${words}", not "${expected}"`);
      if (/MATCH_ALREADY_LIVE/.test((await box.textContent()) || "")) throw new Error("the reason's code is shown to people");
      log(`       refused: ${words} (data-reason ${reason})`);
      await snap(a, "refused-already-live");
      await axe(a, "need page with a refusal");
    });
    await step("A accepts the match in its workspace", async () => {
      await goto(a, "#/me");
      await a.getByTestId(`accept-${matchId}`).click();
      await a.waitForSelector(`[data-testid=match-status-${matchId}][data-status=ACCEPTED_BY_REQUESTER]`);
      await a.waitForSelector("[data-testid=live-status][data-state=on]");
      await snap(a, "accepted-by-requester");
      await axe(a, "workspace");
    });

    // 6. B accepts as the provider; A sees the match confirmed live, without reloading.
    await step(`B signs in (${ADMIN ? `admin token acting for ${providerId}` : `as ${provider.id}`}) and accepts`, async () => {
      if (ADMIN) {
        await b.goto(`${HUB}/`);
        await b.waitForSelector("html[data-ready=dashboard]");
        await signInThroughPage(b, ADMIN, providerId);
      } else {
        await goto(b, "#/me");
      }
      await a.evaluate(() => { window.__noReload = true; });
      await b.getByTestId(`accept-${matchId}`).click();
      await b.waitForSelector(`[data-testid=match-status-${matchId}][data-status=CONFIRMED]`);
      await snap(b, "provider-confirmed");
      await axe(b, "provider workspace");
    });
    await step("A sees the match CONFIRMED live (WatchMatches), without reloading", async () => {
      await a.waitForSelector(`[data-testid=match-status-${matchId}][data-status=CONFIRMED]`, { timeout: 15000 });
      if (!(await a.evaluate(() => window.__noReload === true))) throw new Error("A's page was reloaded");
      await snap(a, "requester-sees-confirmed");
      await docShot(a, "web-workspace");
      await cspCheck(a, "workspace");
      await cspCheck(b, "workspace B");
    });
    await step("A's live stream resumes after a disconnect, from the last sequence seen", async () => {
      await A.ctx.setOffline(true);
      await a.waitForSelector("[data-testid=live-status][data-state=retry]", { timeout: 15000 });
      await b.getByTestId(`decline-${matchId}`).click();
      await b.locator(`#reason-${matchId}`).fill("e2e: checking that the other side hears of it after a reconnect");
      await b.locator(`#reason-${matchId}`).press("Enter");
      await b.waitForSelector(`[data-testid=match-status-${matchId}][data-status=CANCELLED]`);
      await A.ctx.setOffline(false);
      await a.waitForSelector(`[data-testid=match-status-${matchId}][data-status=CANCELLED]`, { timeout: 40000 });
      if (!(await a.evaluate(() => window.__noReload === true))) throw new Error("A's page was reloaded");
      await snap(a, "requester-sees-cancelled-after-reconnect");
    });
    if (problems.length) throw new Error(`problems seen in the pages:\n  ${problems.join("\n  ")}`);
  } catch (err) {
    exitCode = 1;
    if (problems.length) log(`problems seen in the pages:\n  ${problems.join("\n  ")}`);
  } finally {
    await browser.close();
  }
  const failed = results.filter((r) => !r.ok);
  if (axeResults.length) log(`\naxe: ${axeResults.length} pages checked, ${axeResults.reduce((n, r) => n + r.serious, 0)} serious/critical, ${axeResults.reduce((n, r) => n + r.minor, 0)} minor/moderate violations`);
  log(`\n${results.length - failed.length} of ${results.length} steps passed${failed.length ? `; FAILED: ${failed.map((f) => f.name).join("; ")}` : ""}`);
  if (exitCode || failed.length) process.exit(1);
}

main().catch((err) => {
  console.error(`e2e failed: ${err && err.stack ? err.stack : err}`);
  process.exit(1);
});
