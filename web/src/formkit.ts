// Forms whose errors appear beside the fields the hub names in google.rpc.BadRequest field
// violations (read from the error's details, never from its message), with aria-invalid and
// aria-describedby. An error element filled from a violation carries data-source="bad-request".

import { h, replace, type Child } from "./dom";
import { fieldKey, type Problem } from "./errors";
import { t } from "./i18n";
import { errorBox, said } from "./ui";

interface Entry {
  key: string;
  error: HTMLElement;
  /** The elements marked aria-invalid. */
  controls: HTMLElement[];
  /** The element focused first when the field is invalid. */
  focus: HTMLElement;
  describedBy: HTMLElement;
  baseDescribedBy: string;
}

export class FormKit {
  readonly form: HTMLFormElement;
  readonly summary: HTMLElement;
  private entries = new Map<string, Entry>();
  private aliases = new Map<string, string>();

  constructor(readonly prefix: string, testid: string) {
    this.form = h("form", { novalidate: true, "data-testid": testid, class: "record-form" });
    this.summary = h("div", { "data-testid": `${testid}-summary`, "aria-live": "assertive" });
  }

  /** Violations of `alias` are shown beside `key`. */
  alias(alias: string, key: string): void {
    this.aliases.set(alias, key);
  }

  private register(key: string, describedBy: HTMLElement, controls: HTMLElement[], focus: HTMLElement, error: HTMLElement): void {
    this.entries.set(key, { key, error, controls, focus, describedBy, baseDescribedBy: describedBy.getAttribute("aria-describedby") ?? "" });
  }

  private idFor(key: string): string {
    return `${this.prefix}-${key.replace(/[^a-z0-9]+/gi, "-")}`;
  }

  /** A labelled control; `key` is the field's name in the hub's messages ("title", "window.end_date"). */
  field(key: string, label: string, control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, help?: string, required = false): HTMLElement {
    const id = this.idFor(key);
    control.id = id;
    control.name = key;
    control.setAttribute("data-field", key);
    if (required) control.setAttribute("aria-required", "true");
    const helpEl = help ? h("p", { class: "help", id: `${id}-help` }, help) : null;
    const error = h("p", { class: "field-error", id: `${id}-error`, "data-testid": `field-error-${key}`, hidden: true });
    if (helpEl) control.setAttribute("aria-describedby", helpEl.id);
    this.register(key, control, [control], control, error);
    const isCheck = control instanceof HTMLInputElement && control.type === "checkbox";
    if (isCheck) return h("div", { class: "field field-check", "data-field-wrap": key }, control, h("label", { for: id }, label), helpEl, error);
    return h("div", { class: "field", "data-field-wrap": key }, h("label", { for: id }, label, required ? h("span", { "aria-hidden": "true", class: "req" }, " *") : null), helpEl, error, control);
  }

  /** A group of checkboxes in a fieldset. */
  checks(key: string, legend: string, options: { value: string; label: string; checked: boolean }[], help?: string): HTMLFieldSetElement {
    const id = this.idFor(key);
    const boxes = options.map((o, i) => h("input", { type: "checkbox", id: `${id}-${i}`, name: key, value: o.value, checked: o.checked, "data-field": key }));
    const helpEl = help ? h("p", { class: "help", id: `${id}-help` }, help) : null;
    const error = h("p", { class: "field-error", id: `${id}-error`, "data-testid": `field-error-${key}`, hidden: true });
    const fs = h(
      "fieldset",
      { class: "checks", id, "data-field-wrap": key, "aria-describedby": helpEl ? helpEl.id : null },
      h("legend", null, legend),
      helpEl,
      error,
      h("div", { class: "check-grid" }, ...options.map((o, i) => h("label", { class: "check", for: `${id}-${i}` }, boxes[i], " ", o.label))),
    );
    this.register(key, fs, boxes, boxes[0] ?? fs, error);
    return fs;
  }

  static checked(fs: HTMLFieldSetElement): string[] {
    return [...fs.querySelectorAll<HTMLInputElement>("input[type=checkbox]")].filter((b) => b.checked).map((b) => b.value);
  }

  clear(): void {
    replace(this.summary);
    for (const e of this.entries.values()) {
      e.error.hidden = true;
      e.error.removeAttribute("data-source");
      e.error.removeAttribute("data-reason");
      replace(e.error);
      for (const c of e.controls) c.removeAttribute("aria-invalid");
      if (e.baseDescribedBy) e.describedBy.setAttribute("aria-describedby", e.baseDescribedBy);
      else e.describedBy.removeAttribute("aria-describedby");
    }
  }

  private mark(entry: Entry, source: string): void {
    entry.error.hidden = false;
    entry.error.setAttribute("data-source", source);
    for (const c of entry.controls) c.setAttribute("aria-invalid", "true");
    entry.describedBy.setAttribute("aria-describedby", [entry.baseDescribedBy, entry.error.id].filter(Boolean).join(" "));
  }

  /**
   * Shows a refusal that concerns one field (a token the hub does not know, an actor that does
   * not exist) beside that field: the reason's words, the reason in data-reason. Field violations
   * and errors without a reason (the transport's) go where show() puts them.
   */
  showBeside(key: string, p: Problem): void {
    const entry = this.entries.get(key);
    if (!entry || p.violations.length || !p.reason) {
      this.show(p);
      return;
    }
    this.clear();
    entry.error.setAttribute("data-reason", p.reason);
    entry.error.append(h("span", { "data-testid": "error-text" }, p.text));
    const detail = said(p, "span");
    if (detail) entry.error.append(" ", detail);
    this.mark(entry, "error-info");
    entry.focus.focus();
  }

  /** Shows a refusal: each violation beside its field, the rest above the form. */
  show(p: Problem): void {
    this.clear();
    const unplaced: Child[] = [];
    let first: HTMLElement | null = null;
    for (const v of p.violations) {
      const { key, index } = fieldKey(v.field);
      const entry = this.entries.get(this.aliases.get(key) ?? key) ?? this.entries.get(this.aliases.get(v.field) ?? v.field);
      if (!entry) {
        unplaced.push(h("li", null, `${v.field}: ${v.description}`));
        continue;
      }
      const text = index !== null ? `${t("form.item", { n: index + 1 })}: ${v.description}` : v.description;
      entry.error.append(h("span", { class: "violation", "data-violation": v.field }, text));
      this.mark(entry, "bad-request");
      if (!first) first = entry.focus;
    }
    if (p.violations.length) {
      this.summary.append(
        h("div", { class: "error", role: "alert", "data-testid": "form-invalid", "data-reason": p.reason || null }, h("p", null, t("form.invalid")), unplaced.length ? h("ul", null, ...unplaced) : null),
      );
    } else {
      this.summary.append(errorBox(p));
    }
    (first ?? this.summary).focus?.();
    if (first) first.scrollIntoView({ block: "center" });
  }
}
