// A ranked candidate (an offer for a need, or a need for an offer): its score, the explanation
// of the score, and, for a party to the pair, a button that proposes the match.

import { h, replace, scroller, type Child } from "../dom";
import { matches } from "../api";
import { problem } from "../errors";
import { enumLabel, num, t } from "../i18n";
import type { Explanation } from "../gen/capacityhub/v1/common_pb";
import { errorBox, score } from "../ui";
import { requestId } from "../util";

/** The nine components of a score, in a disclosure. */
export function explanationDetails(e: Explanation, key: string): HTMLElement {
  const table = h(
    "table",
    { class: "components" },
    h("thead", null, h("tr", null, ...["component", "value", "weight", "contribution", "detail"].map((k) => h("th", { scope: "col" }, t(`needs.${k}`))))),
    h(
      "tbody",
      null,
      ...e.components.map((c) =>
        h("tr", null, h("th", { scope: "row" }, enumLabel("component", c.name)), h("td", null, num(c.value, 2)), h("td", null, num(c.weight, 3)), h("td", null, num(c.contribution, 3)), h("td", null, c.detail)),
      ),
    ),
  );
  return h("details", { class: "why", "data-testid": `why-${key}` }, h("summary", null, t("needs.why")), scroller(t("needs.why"), table));
}

export interface Candidate {
  /** The candidate record's id, path ("offers") and title. */
  id: string;
  path: string;
  title: string;
  /** Prefix of the test ids: "candidate" gives candidate-ID, candidate-score-ID, ... */
  testid: string;
  rank: number;
  score: number;
  explanation: Explanation | undefined;
  meta: Child[];
  warning?: Child;
  /** The pair to propose, when the signed-in actor is a party to it. */
  propose?: { needId: string; offerId: string };
}

export function candidateItem(c: Candidate): HTMLElement {
  const li = h(
    "li",
    { class: "candidate", "data-testid": `${c.testid}-${c.id}`, "data-rank": c.rank },
    h(
      "div",
      { class: "candidate-head" },
      h("span", { class: "rank" }, t("needs.rank", { n: c.rank })),
      h("h3", null, h("a", { href: `#/${c.path}/${encodeURIComponent(c.id)}` }, c.title), " ", h("span", { class: "muted" }, `(${c.id})`)),
      h("span", { class: "score", "data-testid": `${c.testid}-score-${c.id}` }, `${t("needs.score")} ${score(c.score)}`),
    ),
    h("p", { class: "muted" }, ...c.meta),
    h("p", { class: "explanation", "data-testid": `${c.testid}-explanation-${c.id}` }, c.explanation?.summary ?? ""),
    c.warning ? h("p", { class: "warning" }, c.warning) : null,
    c.explanation ? explanationDetails(c.explanation, c.id) : null,
  );
  if (c.propose) li.append(...proposeAction(c.propose.needId, c.propose.offerId, `propose-${c.id}`));
  return li;
}

/** A button that proposes the pair (MatchService.ProposeMatch), and where its outcome is told. */
function proposeAction(needId: string, offerId: string, testid: string): HTMLElement[] {
  const status = h("div", { "aria-live": "polite" });
  const button = h("button", { type: "button", "data-testid": testid }, t("needs.propose"));
  button.addEventListener("click", async () => {
    button.disabled = true;
    replace(status, h("p", { role: "status" }, t("app.loading")));
    try {
      const m = await matches.proposeMatch({ needId, offerId, requestId: requestId() });
      replace(status, h("p", { class: "success", role: "status", "data-testid": "proposed", "data-match-id": m.id }, t("needs.proposed", { id: m.id }), " ", h("a", { href: "#/me" }, t("needs.openWorkspace"))));
    } catch (err) {
      button.disabled = false;
      replace(status, errorBox(problem(err)));
    }
  });
  return [h("div", { class: "actions" }, button), status];
}
