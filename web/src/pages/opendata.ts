// InsightService.ExportOpenData streamed into JSON Lines or CSV files, saved with a Blob.

import { toJson } from "@bufbuild/protobuf";
import { h, replace } from "../dom";
import { insights } from "../api";
import { t } from "../i18n";
import { problem } from "../errors";
import { OpenRecordSchema, type OpenRecord } from "../gen/capacityhub/v1/insights_pb";
import type { Route } from "../route";
import { errorBox, pageHeading, setTitle } from "../ui";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function save(name: string, type: string, parts: string[]): void {
  const url = URL.createObjectURL(new Blob(parts, { type }));
  const a = h("a", { href: url, download: name, class: "visually-hidden" });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

async function stream(progress: HTMLElement, signal: AbortSignal): Promise<OpenRecord[]> {
  const out: OpenRecord[] = [];
  for await (const rec of insights.exportOpenData({}, { signal })) {
    out.push(rec);
    if (out.length % 50 === 0) progress.textContent = t("openData.progress", { n: out.length });
  }
  return out;
}

function flatten(value: Json, prefix: string, row: Record<string, string>): void {
  if (value === null || value === undefined) return;
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v !== "object" || v === null)) row[prefix] = value.join(";");
    else row[prefix] = JSON.stringify(value);
  } else if (typeof value === "object") {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, row);
  } else {
    row[prefix] = String(value);
  }
}

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function openDataPage(route: Route): void {
  setTitle(t("openData.title"));
  const progress = h("p", { role: "status", "data-testid": "export-progress" });
  const files = h("div", { "data-testid": "export-files" });
  const jsonl = h("button", { type: "button", "data-testid": "download-jsonl" }, t("openData.jsonl"));
  const csv = h("button", { type: "button", "data-testid": "download-csv" }, t("openData.csv"));
  const run = async (kind: "jsonl" | "csv") => {
    jsonl.disabled = csv.disabled = true;
    replace(files);
    progress.textContent = t("app.loading");
    try {
      const records = await stream(progress, route.signal);
      if (kind === "jsonl") {
        save("capacity-hub-open-data.jsonl", "application/x-ndjson", records.map((r) => `${JSON.stringify(toJson(OpenRecordSchema, r))}\n`));
      } else {
        const byKind = new Map<string, Record<string, string>[]>();
        for (const r of records) {
          if (!r.record.case) continue;
          const row: Record<string, string> = {};
          flatten(toJson(OpenRecordSchema, r) as Json, "", row);
          const stripped: Record<string, string> = {};
          for (const [k, v] of Object.entries(row)) stripped[k.replace(/^[^.]+\./, "")] = v;
          const list = byKind.get(r.record.case) ?? [];
          list.push(stripped);
          byKind.set(r.record.case, list);
        }
        for (const [k, rows] of byKind) {
          const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
          const lines = [cols.map(csvCell).join(","), ...rows.map((r) => cols.map((c) => csvCell(r[c] ?? "")).join(","))];
          const button = h("button", { type: "button", class: "secondary", "data-testid": `download-csv-${k}` }, t("openData.csvFile", { kind: k, n: rows.length }));
          button.addEventListener("click", () => save(`capacity-hub-${k}.csv`, "text/csv", [lines.join("\r\n"), "\r\n"]));
          files.append(button);
        }
      }
      progress.textContent = t("openData.done", { n: records.length });
    } catch (err) {
      progress.textContent = "";
      replace(files, errorBox(problem(err)));
    } finally {
      jsonl.disabled = csv.disabled = false;
    }
  };
  jsonl.addEventListener("click", () => void run("jsonl"));
  csv.addEventListener("click", () => void run("csv"));
  route.main.append(pageHeading(t("openData.title")), h("p", { class: "lead" }, t("openData.intro")), h("div", { class: "actions" }, jsonl, csv), progress, files);
}
