// An actor's workspace: its needs, offers and matches; answering and completing matches; live
// match events from MatchService.WatchMatches, resumed after a reconnect from the last sequence.

import { Code } from "@connectrpc/connect";
import { h, replace, scroller } from "../dom";
import { actor, matches, needs, offers } from "../api";
import { problem, type Problem } from "../errors";
import { t } from "../i18n";
import { MatchStatus, MgiDimension, type Event } from "../gen/capacityhub/v1/common_pb";
import type { Match } from "../gen/capacityhub/v1/matches_pb";
import { session } from "../session";
import type { Route } from "../route";
import { actorLink, badge, errorBox, load, mgi, needLink, offerLink, pageHeading, score, setTitle, signedIn } from "../ui";
import { when } from "../util";
import { needTable } from "./needs";
import { offerTable } from "./offers";


const OPEN_FOR_ANSWER = new Set([MatchStatus.PROPOSED, MatchStatus.ACCEPTED_BY_REQUESTER, MatchStatus.ACCEPTED_BY_PROVIDER]);

function seqKey(actorId: string): string {
  return `capacity-hub.watch.${actorId}`;
}

/** Follows an actor's match events; reconnects with backoff from the last sequence seen. */
class MatchWatcher {
  private last: bigint;
  private backoff = 1;
  constructor(
    private readonly actorId: string,
    private readonly signal: AbortSignal,
    private readonly onEvent: (ev: Event) => void,
    private readonly onState: (state: "connecting" | "on" | "retry" | "stopped", detail?: number | Problem) => void,
  ) {
    let stored = 0n;
    try {
      stored = BigInt(sessionStorage.getItem(seqKey(actorId)) ?? "0");
    } catch {
      stored = 0n;
    }
    this.last = stored;
  }

  get lastSequence(): bigint {
    return this.last;
  }

  async run(): Promise<void> {
    // Going offline ends the current stream at once (the browser may otherwise keep a dead
    // connection open); coming back online reconnects at once, from the last sequence seen.
    let attempt: AbortController | null = null;
    let wake: (() => void) | null = null;
    const offline = () => attempt?.abort();
    const online = () => wake?.();
    window.addEventListener("offline", offline);
    window.addEventListener("online", online);
    this.signal.addEventListener("abort", () => {
      attempt?.abort();
      wake?.();
      window.removeEventListener("offline", offline);
      window.removeEventListener("online", online);
    });
    while (!this.signal.aborted) {
      this.onState("connecting");
      attempt = new AbortController();
      const opened = setTimeout(() => this.onState("on"), 1200);
      try {
        for await (const ev of matches.watchMatches({ actorId: this.actorId, afterSequence: this.last }, { signal: attempt.signal })) {
          if (ev.sequence > this.last) {
            this.last = ev.sequence;
            try {
              sessionStorage.setItem(seqKey(this.actorId), this.last.toString());
            } catch {
              /* ignore */
            }
          }
          this.backoff = 1;
          this.onState("on");
          this.onEvent(ev);
        }
        clearTimeout(opened);
        // The server ended the stream: follow again from the last sequence.
      } catch (err) {
        clearTimeout(opened);
        if (this.signal.aborted) return;
        const p = problem(err);
        if ([Code.Unauthenticated, Code.PermissionDenied, Code.NotFound, Code.InvalidArgument, Code.Unimplemented].includes(p.code)) {
          this.onState("stopped", p);
          return;
        }
        const delay = navigator.onLine === false ? 3600 : this.backoff;
        this.onState("retry", navigator.onLine === false ? 0 : this.backoff);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay * 1000);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = null;
        this.backoff = Math.min(30, this.backoff * 2);
      }
    }
  }
}

export async function workspacePage(route: Route): Promise<void> {
  setTitle(t("workspace.title"));
  if (!signedIn(route, t("workspace.title"))) return;
  const me = session()!.actorId;
  const head = pageHeading(t("workspace.title"));
  const who = h("p", { class: "lead" }, actorLink(me), ` (${me})`);
  void actor(me);
  const live = h("p", { class: "live", role: "status", "data-testid": "live-status", "data-state": "connecting" }, t("workspace.liveConnecting"));
  const eventList = h("ol", { class: "events", "data-testid": "events" });
  const matchesBox = h("div", { "data-testid": "my-matches" });
  const needsBox = h("div", { "data-testid": "my-needs" });
  const offersBox = h("div", { "data-testid": "my-offers" });
  route.main.append(
    head,
    who,
    h("section", { "aria-labelledby": "mm-h" }, h("h2", { id: "mm-h" }, t("workspace.myMatches")), live, matchesBox,
      h("details", { class: "events-box" }, h("summary", null, t("workspace.events")), eventList)),
    h("section", { "aria-labelledby": "mn-h" }, h("div", { class: "section-head" }, h("h2", { id: "mn-h" }, t("workspace.myNeeds")), h("a", { class: "button", href: "#/me/needs/new", "data-testid": "new-need" }, t("workspace.newNeed"))), needsBox),
    h("section", { "aria-labelledby": "mo-h" }, h("div", { class: "section-head" }, h("h2", { id: "mo-h" }, t("workspace.myOffers")), h("a", { class: "button", href: "#/me/offers/new", "data-testid": "new-offer" }, t("workspace.newOffer"))), offersBox),
  );

  let current = new Map<string, Match>();
  const rows = new Map<string, HTMLTableRowElement>();

  const matchRow = (m: Match): HTMLTableRowElement => {
    const mine = m.requesterId === me ? "requester" : "provider";
    const answered = m.responses.find((r) => r.actorId === me);
    const actions = h("td", { class: "row-actions" });
    const status = h("div", { "aria-live": "polite" });
    const respond = async (accept: boolean, reason: string) => {
      replace(status, h("span", { role: "status" }, t("app.loading")));
      try {
        const updated = await matches.respondToMatch({ matchId: m.id, actorId: me, accept, reason });
        update(updated);
      } catch (err) {
        replace(status, errorBox(problem(err)));
      }
    };
    if (OPEN_FOR_ANSWER.has(m.status) && !answered) {
      const accept = h("button", { type: "button", "data-testid": `accept-${m.id}` }, t("workspace.accept"));
      accept.addEventListener("click", () => { accept.disabled = true; void respond(true, ""); });
      actions.append(accept);
    }
    if (OPEN_FOR_ANSWER.has(m.status) || m.status === MatchStatus.CONFIRMED) {
      const decline = h("button", { type: "button", class: "secondary", "data-testid": `decline-${m.id}` }, t("workspace.decline"));
      decline.addEventListener("click", () => {
        const reasonId = `reason-${m.id}`;
        const reason = h("input", { id: reasonId, type: "text", maxlength: 1000 });
        const form = h("form", { class: "inline-form" }, h("label", { for: reasonId }, t("workspace.reason")), reason, h("button", { type: "submit" }, t("workspace.send")));
        form.addEventListener("submit", (e) => { e.preventDefault(); void respond(false, reason.value.trim()); });
        replace(status, form);
        reason.focus();
      });
      actions.append(decline);
    }
    if (m.status === MatchStatus.CONFIRMED && m.requesterId === me) {
      const complete = h("button", { type: "button", class: "secondary", "data-testid": `complete-${m.id}` }, t("workspace.complete"));
      complete.addEventListener("click", () => replace(status, completeForm(m, update, status)));
      actions.append(complete);
    }
    if (answered && OPEN_FOR_ANSWER.has(m.status)) actions.append(h("span", { class: "muted" }, `${t("workspace.answered")}; ${t("workspace.waitingOther")}`));
    actions.append(status);
    return h(
      "tr",
      { "data-testid": `match-row-${m.id}`, "data-status": MatchStatus[m.status] },
      h("td", null, m.id),
      h("td", null, needLink(m.needId)),
      h("td", null, offerLink(m.offerId)),
      h("td", null, mine === "requester" ? [t("workspace.asRequester"), " · ", actorLink(m.providerId)] : [t("workspace.asProvider"), " · ", actorLink(m.requesterId)]),
      h("td", null, score(m.score)),
      h("td", null, badge("match", m.status, `match-status-${m.id}`), h("br"), h("span", { class: "muted small" }, when(m.updatedAt))),
      actions,
    );
  };

  const update = (m: Match) => {
    current.set(m.id, m);
    const old = rows.get(m.id);
    const row = matchRow(m);
    rows.set(m.id, row);
    if (old?.isConnected) old.replaceWith(row);
    else renderMatches();
  };

  const renderMatches = () => {
    const list = [...current.values()].sort((a, b) => Number(b.id.replace(/\D/g, "")) - Number(a.id.replace(/\D/g, "")));
    if (!list.length) {
      replace(matchesBox, h("p", null, t("workspace.none")));
      return;
    }
    const body = h("tbody");
    for (const m of list) {
      const row = matchRow(m);
      rows.set(m.id, row);
      body.append(row);
    }
    const table = h(
      "table",
      { class: "matches" },
      h("thead", null, h("tr", null, ...[t("list.id"), t("workspace.need"), t("workspace.offer"), t("workspace.role"), t("needs.score"), t("list.status"), t("workspace.actions")].map((x) => h("th", { scope: "col" }, x)))),
      body,
    );
    replace(matchesBox, scroller(t("workspace.myMatches"), table));
  };

  const fetchMatches = async (): Promise<Map<string, Match>> => {
    const all = new Map<string, Match>();
    let pageToken = "";
    for (let i = 0; i < 10; i++) {
      const res = await matches.listMatches({ actorId: me, pageSize: 100, pageToken }, { signal: route.signal });
      for (const m of res.matches) all.set(m.id, m);
      pageToken = res.nextPageToken;
      if (!pageToken) break;
    }
    return all;
  };

  let refreshTimer: ReturnType<typeof setTimeout> | null = null;
  const refresh = () => {
    if (refreshTimer) clearTimeout(refreshTimer);
    refreshTimer = setTimeout(async () => {
      refreshTimer = null;
      try {
        const fresh = await fetchMatches();
        for (const [id, m] of fresh) {
          const before = current.get(id);
          if (!before || before.status !== m.status || before.responses.length !== m.responses.length) update(m);
        }
        current = new Map([...current, ...fresh]);
      } catch {
        /* the next event tries again */
      }
    }, 250);
  };

  const firstLoad = load(matchesBox, fetchMatches, (all) => {
    current = all;
    const wrap = h("div");
    queueMicrotask(() => renderMatches());
    return wrap;
  });

  const watcher = new MatchWatcher(
    me,
    route.signal,
    (ev) => {
      eventList.prepend(h("li", null, h("span", { class: "muted" }, `#${ev.sequence} ${when(ev.at)} `), ev.summary));
      while (eventList.children.length > 20) eventList.lastElementChild?.remove();
      if (ev.matchId) {
        live.dataset.lastEvent = ev.sequence.toString();
        refresh();
      }
    },
    (state, detail) => {
      live.dataset.state = state;
      if (state === "on") live.textContent = t("workspace.liveOn", { seq: watcher.lastSequence.toString() });
      else if (state === "connecting") live.textContent = t("workspace.liveConnecting");
      else if (state === "retry") live.textContent = navigator.onLine === false ? t("workspace.liveOffline") : t("workspace.liveRetry", { s: String(detail) });
      else live.textContent = t("workspace.liveStopped", { message: (detail as Problem).text });
    },
  );
  void firstLoad.then(() => watcher.run());

  await Promise.all([
    firstLoad,
    load(needsBox, () => needs.listNeeds({ requesterId: me, pageSize: 100 }, { signal: route.signal }), (r) => (r.needs.length ? needTable(r.needs, t("workspace.myNeeds")) : h("p", null, t("workspace.none")))),
    load(offersBox, () => offers.listOffers({ providerId: me, pageSize: 100 }, { signal: route.signal }), (r) => (r.offers.length ? offerTable(r.offers, t("workspace.myOffers")) : h("p", null, t("workspace.none")))),
  ]);
}

function completeForm(m: Match, update: (m: Match) => void, status: HTMLElement): HTMLElement {
  const id = `complete-${m.id}`;
  const rating = h("select", { id: `${id}-rating` });
  for (let r = 1; r <= 5; r++) rating.append(h("option", { value: String(r), selected: r === 4 }, String(r)));
  const dims = Object.entries(MgiDimension).filter(([, v]) => typeof v === "number" && v !== 0) as [string, number][];
  const boxes = dims.map(([, v]) => h("input", { type: "checkbox", id: `${id}-d${v}`, value: String(v) }));
  const lessons = h("textarea", { id: `${id}-lessons`, rows: 3 });
  const form = h(
    "form",
    { class: "inline-form stacked" },
    h("label", { for: rating.id }, t("workspace.rating")),
    rating,
    h("fieldset", { class: "checks" }, h("legend", null, t("workspace.dimensions")), ...dims.map(([, v], i) => h("label", { class: "check", for: boxes[i].id }, boxes[i], " ", mgi(v)))),
    h("label", { for: lessons.id }, t("workspace.lessons")),
    lessons,
    h("button", { type: "submit" }, t("workspace.send")),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const done = await matches.completeMatch({
        matchId: m.id,
        actorId: m.requesterId,
        rating: Number(rating.value),
        mgiDimensions: boxes.filter((b) => b.checked).map((b) => Number(b.value)),
        lessonsLearned: lessons.value.trim(),
      });
      update(done);
    } catch (err) {
      status.append(errorBox(problem(err)));
    }
  });
  return form;
}
