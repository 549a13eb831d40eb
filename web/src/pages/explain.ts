import { h, scroller } from "../dom";
import { enumLabel, num, t } from "../i18n";
import type { Explanation } from "../gen/capacityhub/v1/common_pb";

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
