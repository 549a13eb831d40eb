// Submit or edit a need (NeedService.SubmitNeed / UpdateNeed) and register or edit an offer
// (OfferService.RegisterOffer / UpdateOffer). The hub checks every rule; its violations are shown
// beside the fields they name.

import { h, replace } from "../dom";
import { needs, offers } from "../api";
import { problem } from "../errors";
import { enumLabel, objective, t } from "../i18n";
import { Level, Modality, Urgency } from "../gen/capacityhub/v1/common_pb";
import type { Need } from "../gen/capacityhub/v1/needs_pb";
import type { Offer } from "../gen/capacityhub/v1/offers_pb";
import { FormKit } from "../formkit";
import { session } from "../session";
import type { Route } from "../route";
import { errorBox, loading, pageHeading, setTitle } from "../ui";
import { requestId, splitList } from "../util";

const MODALITIES = Object.entries(Modality).filter(([, v]) => typeof v === "number" && v !== 0) as [string, number][];
const LEVELS = Object.entries(Level).filter(([, v]) => typeof v === "number" && v !== 0) as [string, number][];
const URGENCIES = Object.entries(Urgency).filter(([, v]) => typeof v === "number" && v !== 0) as [string, number][];

function themeOptions(selected: number[]) {
  return Array.from({ length: 23 }, (_, i) => ({ value: String(i + 1), label: objective(i + 1), checked: selected.includes(i + 1) }));
}

function select(options: [string, number][], group: string, selected: number, placeholder?: string): HTMLSelectElement {
  const sel = h("select", null);
  if (placeholder !== undefined) sel.append(h("option", { value: "0" }, placeholder));
  for (const [name, value] of options) sel.append(h("option", { value: String(value), selected: value === selected }, enumLabel(group, name)));
  return sel;
}

function optionalInt(v: string): bigint | undefined {
  const s = v.trim();
  if (!s) return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? BigInt(Math.trunc(n)) : undefined;
}

function needSignIn(route: Route): boolean {
  if (session()) return false;
  route.main.append(pageHeading(t("workspace.title")), h("p", null, t("workspace.needSignIn"), " ", h("a", { href: "#/signin" }, t("nav.signIn"))));
  return true;
}

export async function needFormPage(route: Route, id: string | null): Promise<void> {
  if (needSignIn(route)) return;
  const s = session()!;
  const title = id ? t("form.editNeed", { id }) : t("form.needTitle");
  setTitle(title);
  route.main.append(pageHeading(title));
  const box = h("div");
  route.main.append(box);
  let existing: Need | null = null;
  if (id) {
    replace(box, loading());
    try {
      existing = await needs.getNeed({ id }, { signal: route.signal });
    } catch (err) {
      replace(box, errorBox(problem(err)));
      return;
    }
  }
  const kit = new FormKit("nf", "need-form");
  const requester = h("input", { type: "text", readonly: true, value: existing?.requesterId ?? s.actorId });
  const titleIn = h("input", { type: "text", value: existing?.title ?? "", "data-testid": "need-title" });
  const description = h("textarea", { rows: 5, "data-testid": "need-description" });
  description.value = existing?.description ?? "";
  const themes = kit.checks("themes", t("form.themes"), themeOptions(existing?.themes ?? []));
  const modalities = kit.checks("modalities", t("form.modalities"), MODALITIES.map(([n, v]) => ({ value: String(v), label: enumLabel("modality", n), checked: existing?.modalities.includes(v) ?? false })));
  const level = select(LEVELS, "level", existing?.level ?? Level.NATIONAL);
  const countries = h("input", { type: "text", autocomplete: "off", value: existing?.countries.join(", ") ?? "", "data-testid": "need-countries" });
  const languages = h("input", { type: "text", autocomplete: "off", value: existing?.languages.join(", ") ?? "", "data-testid": "need-languages" });
  const budget = h("input", { type: "number", min: 1, step: 1, inputmode: "numeric", value: existing?.budgetUsd !== undefined ? String(existing.budgetUsd) : "" });
  const urgency = select(URGENCIES, "urgency", existing?.urgency || Urgency.NORMAL);
  const start = h("input", { type: "date", value: existing?.window?.startDate ?? "" });
  const end = h("input", { type: "date", value: existing?.window?.endDate ?? "" });
  kit.alias("window", "window.start_date");
  kit.alias("budget", "budget_usd");
  const submit = h("button", { type: "submit", "data-testid": "need-submit" }, id ? t("form.save") : t("form.submit"));
  kit.form.append(
    kit.summary,
    kit.field("requester_id", t("form.requester"), requester),
    kit.field("title", t("form.title"), titleIn, undefined, true),
    kit.field("description", t("form.description"), description),
    themes,
    modalities,
    kit.field("level", t("form.level"), level),
    kit.field("countries", t("form.countries"), countries, t("form.example", { x: "GTM, HND" }), true),
    kit.field("languages", t("form.languages"), languages, t("form.example", { x: "es, en" })),
    kit.field("budget_usd", t("form.budget"), budget),
    kit.field("urgency", t("form.urgency"), urgency),
    h("div", { class: "row" }, kit.field("window.start_date", t("form.start"), start), kit.field("window.end_date", t("form.end"), end)),
    h("div", { class: "actions" }, submit, h("a", { class: "button secondary", href: id ? `#/needs/${encodeURIComponent(id)}` : "#/me" }, t("workspace.cancel"))),
  );
  kit.form.addEventListener("submit", async (e) => {
    e.preventDefault();
    kit.clear();
    submit.disabled = true;
    const fields = {
      title: titleIn.value.trim(),
      description: description.value.trim(),
      themes: FormKit.checked(themes).map(Number),
      modalities: FormKit.checked(modalities).map(Number),
      level: Number(level.value),
      countries: splitList(countries.value.toUpperCase()),
      languages: splitList(languages.value.toLowerCase()),
      budgetUsd: optionalInt(budget.value),
      urgency: Number(urgency.value),
      window: { startDate: start.value, endDate: end.value },
    };
    try {
      const saved = existing
        ? await needs.updateNeed({
            need: { ...fields, id: existing.id, requesterId: existing.requesterId },
            updateMask: { paths: ["title", "description", "themes", "modalities", "level", "countries", "languages", "budget_usd", "urgency", "window"] },
          })
        : await needs.submitNeed({ ...fields, requesterId: requester.value, requestId: requestId() });
      window.location.hash = `#/needs/${encodeURIComponent(saved.id)}`;
    } catch (err) {
      kit.show(problem(err));
    } finally {
      submit.disabled = false;
    }
  });
  replace(box, kit.form);
}

export async function offerFormPage(route: Route, id: string | null): Promise<void> {
  if (needSignIn(route)) return;
  const s = session()!;
  const title = id ? t("form.editOffer", { id }) : t("form.offerTitle");
  setTitle(title);
  route.main.append(pageHeading(title));
  const box = h("div");
  route.main.append(box);
  let existing: Offer | null = null;
  if (id) {
    replace(box, loading());
    try {
      existing = await offers.getOffer({ id }, { signal: route.signal });
    } catch (err) {
      replace(box, errorBox(problem(err)));
      return;
    }
  }
  const kit = new FormKit("of", "offer-form");
  const provider = h("input", { type: "text", readonly: true, value: existing?.providerId ?? s.actorId });
  const titleIn = h("input", { type: "text", value: existing?.title ?? "", "data-testid": "offer-title" });
  const description = h("textarea", { rows: 5 });
  description.value = existing?.description ?? "";
  const themes = kit.checks("themes", t("form.themes"), themeOptions(existing?.themes ?? []));
  const modalities = kit.checks("modalities", t("form.modalities"), MODALITIES.map(([n, v]) => ({ value: String(v), label: enumLabel("modality", n), checked: existing?.modalities.includes(v) ?? false })));
  const levels = kit.checks("levels", t("form.levels"), LEVELS.map(([n, v]) => ({ value: String(v), label: enumLabel("level", n), checked: existing?.levels.includes(v) ?? false })));
  const countries = h("input", { type: "text", autocomplete: "off", value: existing?.countries.join(", ") ?? "", "data-testid": "offer-countries" });
  const regionsIn = h("input", { type: "text", autocomplete: "off", value: existing?.regions.join(", ") ?? "" });
  const worldwide = h("input", { type: "checkbox", checked: existing?.worldwide ?? false });
  const languages = h("input", { type: "text", autocomplete: "off", value: existing?.languages.join(", ") ?? "" });
  const capacity = h("input", { type: "number", min: 1, max: 10000, step: 1, inputmode: "numeric", value: String(existing?.capacity ?? 1), "data-testid": "offer-capacity" });
  const funding = h("input", { type: "number", min: 1, step: 1, inputmode: "numeric", value: existing?.fundingUsd !== undefined ? String(existing.fundingUsd) : "" });
  const start = h("input", { type: "date", value: existing?.window?.startDate ?? "" });
  const end = h("input", { type: "date", value: existing?.window?.endDate ?? "" });
  kit.alias("window", "window.start_date");
  kit.alias("areas", "regions");
  kit.alias("coverage", "countries");
  const submit = h("button", { type: "submit", "data-testid": "offer-submit" }, id ? t("form.save") : t("form.submit"));
  kit.form.append(
    kit.summary,
    kit.field("provider_id", t("form.provider"), provider),
    kit.field("title", t("form.title"), titleIn, undefined, true),
    kit.field("description", t("form.description"), description),
    themes,
    modalities,
    levels,
    kit.field("countries", t("form.offerCountries"), countries, t("form.example", { x: "GTM, HND" })),
    kit.field("regions", t("form.regions"), regionsIn, t("form.example", { x: "central_america, western_africa" })),
    kit.field("worldwide", t("form.worldwide"), worldwide),
    kit.field("languages", t("form.languages"), languages, t("form.example", { x: "es, en" })),
    kit.field("capacity", t("form.capacity"), capacity, undefined, true),
    kit.field("funding_usd", t("form.funding"), funding),
    h("div", { class: "row" }, kit.field("window.start_date", t("form.start"), start), kit.field("window.end_date", t("form.end"), end)),
    h("div", { class: "actions" }, submit, h("a", { class: "button secondary", href: id ? `#/offers/${encodeURIComponent(id)}` : "#/me" }, t("workspace.cancel"))),
  );
  kit.form.addEventListener("submit", async (e) => {
    e.preventDefault();
    kit.clear();
    submit.disabled = true;
    const fields = {
      title: titleIn.value.trim(),
      description: description.value.trim(),
      themes: FormKit.checked(themes).map(Number),
      modalities: FormKit.checked(modalities).map(Number),
      levels: FormKit.checked(levels).map(Number),
      countries: splitList(countries.value.toUpperCase()),
      regions: splitList(regionsIn.value.toLowerCase()),
      worldwide: worldwide.checked,
      languages: splitList(languages.value.toLowerCase()),
      capacity: Math.max(0, Math.trunc(Number(capacity.value) || 0)),
      fundingUsd: optionalInt(funding.value),
      window: { startDate: start.value, endDate: end.value },
    };
    try {
      const saved = existing
        ? await offers.updateOffer({
            offer: { ...fields, id: existing.id, providerId: existing.providerId },
            updateMask: { paths: ["title", "description", "themes", "modalities", "levels", "countries", "regions", "worldwide", "languages", "capacity", "funding_usd", "window"] },
          })
        : await offers.registerOffer({ ...fields, providerId: provider.value, requestId: requestId() });
      window.location.hash = `#/offers/${encodeURIComponent(saved.id)}`;
    } catch (err) {
      kit.show(problem(err));
    } finally {
      submit.disabled = false;
    }
  });
  replace(box, kit.form);
}
