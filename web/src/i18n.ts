// Interface text in English, French and Spanish. Records stay in their own language.

import { en } from "./locales/en";
import { fr } from "./locales/fr";
import { es } from "./locales/es";

export type Lang = "en" | "fr" | "es";
export type Dict = typeof en;
export const LANGS: { code: Lang; name: string }[] = [
  { code: "en", name: "English" },
  { code: "fr", name: "Français" },
  { code: "es", name: "Español" },
];

const dicts: Record<Lang, Record<string, unknown>> = { en, fr, es };
const STORAGE_KEY = "capacity-hub.lang";

function initial(): Lang {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === "en" || saved === "fr" || saved === "es") return saved;
  } catch {
    /* storage may be unavailable */
  }
  for (const tag of navigator.languages ?? [navigator.language]) {
    const base = (tag || "").slice(0, 2).toLowerCase();
    if (base === "fr" || base === "es" || base === "en") return base;
  }
  return "en";
}

let current: Lang = initial();
const listeners: (() => void)[] = [];

export function lang(): Lang {
  return current;
}

export function setLang(next: Lang): void {
  current = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    /* ignore */
  }
  document.documentElement.lang = next;
  for (const fn of listeners) fn();
}

export function onLangChange(fn: () => void): void {
  listeners.push(fn);
}

function lookup(dict: Record<string, unknown>, key: string): string | undefined {
  let node: unknown = dict;
  for (const part of key.split(".")) {
    if (node && typeof node === "object" && part in (node as Record<string, unknown>)) {
      node = (node as Record<string, unknown>)[part];
    } else {
      return undefined;
    }
  }
  return typeof node === "string" ? node : undefined;
}

/** Translates `key`, replacing `{name}` with params. Falls back to English, then to the key. */
export function t(key: string, params?: Record<string, string | number>): string {
  let text = lookup(dicts[current], key) ?? lookup(dicts.en, key) ?? key;
  if (params) {
    for (const [name, value] of Object.entries(params)) {
      text = text.split(`{${name}}`).join(String(value));
    }
  }
  return text;
}

export function has(key: string): boolean {
  return lookup(dicts[current], key) !== undefined || lookup(dicts.en, key) !== undefined;
}

export function num(value: number, digits = 0): string {
  return new Intl.NumberFormat(current, { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(value);
}

export function pct(value: number): string {
  return new Intl.NumberFormat(current, { style: "percent", maximumFractionDigits: 1 }).format(value);
}

export function date(d: Date): string {
  return new Intl.DateTimeFormat(current, { dateStyle: "medium", timeStyle: "short" }).format(d);
}

/** An objective's number and short title: "13 · alternatives to detention". */
export function objective(n: number): string {
  const title = lookup(dicts[current], `objectives.${n}`) ?? lookup(dicts.en, `objectives.${n}`);
  return title ? `${n} · ${title}` : String(n);
}

/** An M49 area's name, or the slug with spaces when it is unknown. */
export function region(slug: string): string {
  return lookup(dicts[current], `regions.${slug}`) ?? lookup(dicts.en, `regions.${slug}`) ?? slug.replace(/_/g, " ");
}

/** A label for an enum value: group "modality", name "TRAINING". */
export function enumLabel(group: string, name: string | undefined): string {
  if (!name) return "";
  return lookup(dicts[current], `enums.${group}.${name}`) ?? lookup(dicts.en, `enums.${group}.${name}`) ?? name.toLowerCase().replace(/_/g, " ");
}
