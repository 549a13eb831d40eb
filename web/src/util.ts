import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import { date } from "./i18n";
import { session } from "./session";

export function requestId(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function when(ts: Timestamp | undefined): string {
  return ts ? date(timestampDate(ts)) : "";
}

/** True when the signed-in session acts for one of these actors. */
export function actingFor(...actorIds: string[]): boolean {
  const s = session();
  return !!s && actorIds.includes(s.actorId);
}

export function splitList(value: string): string[] {
  return value.split(/[\s,;]+/).map((x) => x.trim()).filter(Boolean);
}
