// Submit or edit a need (NeedService.SubmitNeed / UpdateNeed) and register or edit an offer
// (OfferService.RegisterOffer / UpdateOffer). The hub checks every rule; its violations are shown
// beside the fields they name.

import { append, h, replace, type Child } from "../dom";
import { needs, offers } from "../api";
import { problem } from "../errors";
import { enumLabel, objective, t } from "../i18n";
import { Level, Modality, Urgency } from "../gen/capacityhub/v1/common_pb";
import type { Need } from "../gen/capacityhub/v1/needs_pb";
import type { Offer } from "../gen/capacityhub/v1/offers_pb";
import { FormKit } from "../formkit";
import { session } from "../session";
import type { Route } from "../route";
import { errorBox, loading, pageHeading, setTitle, signedIn } from "../ui";
import { requestId, splitList } from "../util";

type Enum = [string, number][];
const values = (e: Record<string, string | number>) => Object.entries(e).filter(([, v]) => typeof v === "number" && v !== 0) as Enum;
const MODALITIES = values(Modality);
const LEVELS = values(Level);
const URGENCIES = values(Urgency);

const options = (list: Enum, group: string, selected: number[]) => list.map(([n, v]) => ({ value: String(v), label: enumLabel(group, n), checked: selected.includes(v) }));

function select(list: Enum, group: string, selected: number): HTMLSelectElement {
  return h("select", null, ...list.map(([name, value]) => h("option", { value: String(value), selected: value === selected }, enumLabel(group, name))));
}

function number(value: number | bigint | undefined, attrs: Record<string, string | number> = {}): HTMLInputElement {
  return h("input", { type: "number", min: 1, step: 1, inputmode: "numeric", value: value !== undefined ? String(value) : "", ...attrs });
}

function optionalInt(v: string): bigint | undefined {
  const s = v.trim();
  if (!s) return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? BigInt(Math.trunc(n)) : undefined;
}

/** The fields a need and an offer share, laid out by each form, and their values. */
function sharedFields(kit: FormKit, kind: "need" | "offer", existing: Need | Offer | null, owner: string) {
  const text = (key: string, value: string) => h("input", { type: "text", autocomplete: "off", value, "data-testid": `${kind}-${key}` });
  const ownerKey = kind === "need" ? "requester" : "provider";
  const ownerIn = h("input", { type: "text", readonly: true, value: owner });
  const title = text("title", existing?.title ?? "");
  const description = h("textarea", { rows: 5, "data-testid": `${kind}-description` });
  description.value = existing?.description ?? "";
  const countries = text("countries", existing?.countries.join(", ") ?? "");
  const languages = text("languages", existing?.languages.join(", ") ?? "");
  const start = h("input", { type: "date", value: existing?.window?.startDate ?? "" });
  const end = h("input", { type: "date", value: existing?.window?.endDate ?? "" });
  const themes = kit.checks("themes", t("form.themes"), Array.from({ length: 23 }, (_, i) => ({ value: String(i + 1), label: objective(i + 1), checked: existing?.themes.includes(i + 1) ?? false })));
  const modalities = kit.checks("modalities", t("form.modalities"), options(MODALITIES, "modality", existing?.modalities ?? []));
  kit.alias("window", "window.start_date");
  const example = (x: string) => t("form.example", { x });
  return {
    owner: ownerIn,
    /** The form's fields in order: the shared ones, with each form's own in their places. */
    layout: (own: { afterThemes: Child[]; countries: [label: string, required: boolean]; afterCountries?: Child[]; afterLanguages: Child[] }): Child[] => [
      kit.field(`${ownerKey}_id`, t(`form.${ownerKey}`), ownerIn),
      kit.field("title", t("form.title"), title, undefined, true),
      kit.field("description", t("form.description"), description),
      themes,
      modalities,
      ...own.afterThemes,
      kit.field("countries", own.countries[0], countries, example("GTM, HND"), own.countries[1]),
      ...(own.afterCountries ?? []),
      kit.field("languages", t("form.languages"), languages, example("es, en")),
      ...own.afterLanguages,
      h("div", { class: "row" }, kit.field("window.start_date", t("form.start"), start), kit.field("window.end_date", t("form.end"), end)),
    ],
    values: () => ({
      title: title.value.trim(),
      description: description.value.trim(),
      themes: FormKit.checked(themes).map(Number),
      modalities: FormKit.checked(modalities).map(Number),
      countries: splitList(countries.value.toUpperCase()),
      languages: splitList(languages.value.toLowerCase()),
      window: { startDate: start.value, endDate: end.value },
    }),
  };
}

type Shared = ReturnType<typeof sharedFields>;

/** A record's form: reads the record when editing, saves it, and opens its page when saved. */
async function recordForm<T extends Need | Offer>(
  route: Route,
  id: string | null,
  kind: "need" | "offer",
  get: (id: string, signal: AbortSignal) => Promise<T>,
  /** The form's own fields (laid out with the shared ones), and how to save them all. */
  build: (kit: FormKit, existing: T | null, shared: Shared) => { fields: Child[]; save: () => Promise<{ id: string }> },
): Promise<void> {
  if (!signedIn(route, t("workspace.title"))) return;
  const path = `${kind}s`;
  const heading = id ? t(kind === "need" ? "form.editNeed" : "form.editOffer", { id }) : t(`form.${kind}Title`);
  setTitle(heading);
  const box = h("div");
  route.main.append(pageHeading(heading), box);
  let existing: T | null = null;
  if (id) {
    replace(box, loading());
    try {
      existing = await get(id, route.signal);
    } catch (err) {
      replace(box, errorBox(problem(err)));
      return;
    }
  }
  const kit = new FormKit(kind === "need" ? "nf" : "of", `${kind}-form`);
  const owner = existing ? ("requesterId" in existing ? existing.requesterId : existing.providerId) : session()!.actorId;
  const { fields, save } = build(kit, existing, sharedFields(kit, kind, existing, owner));
  const submit = h("button", { type: "submit", "data-testid": `${kind}-submit` }, id ? t("form.save") : t("form.submit"));
  const back = id ? `#/${path}/${encodeURIComponent(id)}` : "#/me";
  append(kit.form, [kit.summary, ...fields, h("div", { class: "actions" }, submit, h("a", { class: "button secondary", href: back }, t("workspace.cancel")))]);
  kit.form.addEventListener("submit", async (e) => {
    e.preventDefault();
    kit.clear();
    submit.disabled = true;
    try {
      const saved = await save();
      window.location.hash = `#/${path}/${encodeURIComponent(saved.id)}`;
    } catch (err) {
      kit.show(problem(err));
    } finally {
      submit.disabled = false;
    }
  });
  replace(box, kit.form);
}

export function needFormPage(route: Route, id: string | null): Promise<void> {
  return recordForm<Need>(route, id, "need", (needId, signal) => needs.getNeed({ id: needId }, { signal }), (kit, existing, shared) => {
    const level = select(LEVELS, "level", existing?.level ?? Level.NATIONAL);
    const budget = number(existing?.budgetUsd);
    const urgency = select(URGENCIES, "urgency", existing?.urgency || Urgency.NORMAL);
    kit.alias("budget", "budget_usd");
    return {
      fields: shared.layout({
        afterThemes: [kit.field("level", t("form.level"), level)],
        countries: [t("form.countries"), true],
        afterLanguages: [kit.field("budget_usd", t("form.budget"), budget), kit.field("urgency", t("form.urgency"), urgency)],
      }),
      save: () => {
        const fields = { ...shared.values(), level: Number(level.value), budgetUsd: optionalInt(budget.value), urgency: Number(urgency.value) };
        return existing
          ? needs.updateNeed({
              need: { ...fields, id: existing.id, requesterId: existing.requesterId },
              updateMask: { paths: ["title", "description", "themes", "modalities", "level", "countries", "languages", "budget_usd", "urgency", "window"] },
            })
          : needs.submitNeed({ ...fields, requesterId: shared.owner.value, requestId: requestId() });
      },
    };
  });
}

export function offerFormPage(route: Route, id: string | null): Promise<void> {
  return recordForm<Offer>(route, id, "offer", (offerId, signal) => offers.getOffer({ id: offerId }, { signal }), (kit, existing, shared) => {
    const levels = kit.checks("levels", t("form.levels"), options(LEVELS, "level", existing?.levels ?? []));
    const regionsIn = h("input", { type: "text", autocomplete: "off", value: existing?.regions.join(", ") ?? "" });
    const worldwide = h("input", { type: "checkbox", checked: existing?.worldwide ?? false });
    const capacity = number(existing?.capacity ?? 1, { max: 10000, "data-testid": "offer-capacity" });
    const funding = number(existing?.fundingUsd);
    kit.alias("areas", "regions");
    kit.alias("coverage", "countries");
    return {
      fields: shared.layout({
        afterThemes: [levels],
        countries: [t("form.offerCountries"), false],
        afterCountries: [kit.field("regions", t("form.regions"), regionsIn, t("form.example", { x: "central_america, western_africa" })), kit.field("worldwide", t("form.worldwide"), worldwide)],
        afterLanguages: [kit.field("capacity", t("form.capacity"), capacity, undefined, true), kit.field("funding_usd", t("form.funding"), funding)],
      }),
      save: () => {
        const fields = {
          ...shared.values(),
          levels: FormKit.checked(levels).map(Number),
          regions: splitList(regionsIn.value.toLowerCase()),
          worldwide: worldwide.checked,
          capacity: Math.max(0, Math.trunc(Number(capacity.value) || 0)),
          fundingUsd: optionalInt(funding.value),
        };
        return existing
          ? offers.updateOffer({
              offer: { ...fields, id: existing.id, providerId: existing.providerId },
              updateMask: { paths: ["title", "description", "themes", "modalities", "levels", "countries", "regions", "worldwide", "languages", "capacity", "funding_usd", "window"] },
            })
          : offers.registerOffer({ ...fields, providerId: shared.owner.value, requestId: requestId() });
      },
    };
  });
}
