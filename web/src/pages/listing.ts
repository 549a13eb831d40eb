// A public list page: filters kept in the route's query, a paged table of what the hub lists.

import { h } from "../dom";
import { t } from "../i18n";
import { go, type Route } from "../route";
import { enumSelect, field, load, objectiveSelect, Pager, pageHeading, setTitle } from "../ui";

/** [query key, label, control, upper-case the value]. */
export type Filter = [key: string, label: string, control: HTMLInputElement | HTMLSelectElement, upper?: boolean];

/** A text filter for query key `key` (its label `list.KEY`), showing its current value. */
export function textFilter(q: URLSearchParams, key: string, attrs: Record<string, string | number> = {}, upper = false): Filter {
  return [key, t(`list.${key}`), h("input", { id: `f-${key}`, name: key, value: q.get(key) ?? "", autocomplete: "off", ...attrs }), upper];
}

/** The filters every list has: by objective, country and region. */
export function placeFilters(q: URLSearchParams): Filter[] {
  return [
    ["theme", t("list.theme"), objectiveSelect("f-theme", Number(q.get("theme") ?? 0))],
    textFilter(q, "country", { maxlength: 3, size: 5 }, true),
    textFilter(q, "region"),
  ];
}

/** A filter by an enum's value (query key `key`, label `list.KEY`). */
export function enumFilter(q: URLSearchParams, key: string, values: Record<string, string | number>, group: string): Filter {
  return [key, t(`list.${key}`), enumSelect(`f-${key}`, values, group, Number(q.get(key) ?? 0), t("list.any"))];
}

export interface ListSpec<T> {
  /** The route, "/needs". */
  path: string;
  title: string;
  intro: string;
  /** The form is `${testid}-filters`, the results `${testid}-list`. */
  testid: string;
  filters: Filter[];
  fetch: (pageToken: string, signal: AbortSignal) => Promise<{ items: T[]; next: string }>;
  table: (items: T[]) => HTMLElement;
}

export function listPage<T>(route: Route, spec: ListSpec<T>): void {
  setTitle(spec.title);
  const form = h(
    "form",
    { class: "filters", "aria-label": t("list.filters"), "data-testid": `${spec.testid}-filters` },
    ...spec.filters.map(([, label, control]) => field(label, control)),
    h("div", { class: "filter-actions" }, h("button", { type: "submit" }, t("list.apply")), h("a", { href: `#${spec.path}`, class: "button secondary" }, t("list.reset"))),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    go(spec.path, Object.fromEntries(spec.filters.map(([key, , c, upper]) => [key, upper ? c.value.trim().toUpperCase() : c.value.trim()])));
  });
  const results = h("div", { "data-testid": `${spec.testid}-list` });
  const pager: Pager = new Pager(() => void show());
  const show = () =>
    load(
      results,
      () => spec.fetch(pager.token, route.signal),
      (res) => {
        pager.next = res.next;
        if (!res.items.length) return h("p", null, t("list.empty"));
        return [spec.table(res.items), pager.controls(spec.title)];
      },
    );
  route.main.append(pageHeading(spec.title), h("p", { class: "lead" }, spec.intro), form, results);
  void show();
}
