// Errors from the hub in words. What the page does with an error comes from the details the hub
// attaches in grpc-status-details-bin, never from its message: the google.rpc.ErrorInfo reason
// picks the words shown (the reason itself is for the code: data-reason), and the
// google.rpc.BadRequest field violations go beside their fields. The message (English) is shown
// only as a detail, or alone when the hub sent no reason the page knows.

import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema, ErrorInfoSchema } from "./gen/google/rpc/error_details_pb";
import { has, t } from "./i18n";

export interface Violation {
  field: string;
  description: string;
}

export interface Problem {
  code: Code;
  codeName: string;
  /** ErrorInfo.reason (domain capacity-hub), or "" without one. */
  reason: string;
  /** The server's own message (English). */
  raw: string;
  /** The message in the interface's language. */
  text: string;
  /** BadRequest.field_violations: only from the details, never parsed from the message. */
  violations: Violation[];
  metadata: Record<string, string>;
}

/** ErrorInfo.domain of the hub's own errors. */
const DOMAIN = "capacity-hub";

const CODE_NAMES: Record<number, string> = {
  [Code.Canceled]: "CANCELLED",
  [Code.Unknown]: "UNKNOWN",
  [Code.InvalidArgument]: "INVALID_ARGUMENT",
  [Code.DeadlineExceeded]: "DEADLINE_EXCEEDED",
  [Code.NotFound]: "NOT_FOUND",
  [Code.AlreadyExists]: "ALREADY_EXISTS",
  [Code.PermissionDenied]: "PERMISSION_DENIED",
  [Code.ResourceExhausted]: "RESOURCE_EXHAUSTED",
  [Code.FailedPrecondition]: "FAILED_PRECONDITION",
  [Code.Aborted]: "ABORTED",
  [Code.OutOfRange]: "OUT_OF_RANGE",
  [Code.Unimplemented]: "UNIMPLEMENTED",
  [Code.Internal]: "INTERNAL",
  [Code.Unavailable]: "UNAVAILABLE",
  [Code.DataLoss]: "DATA_LOSS",
  [Code.Unauthenticated]: "UNAUTHENTICATED",
};

export function problem(err: unknown): Problem {
  const ce = ConnectError.from(err);
  const codeName = CODE_NAMES[ce.code] ?? "UNKNOWN";
  const info = ce.findDetails(ErrorInfoSchema).find((i) => i.domain === DOMAIN);
  const bad = ce.findDetails(BadRequestSchema)[0];
  const raw = ce.rawMessage;
  const violations: Violation[] = (bad?.fieldViolations ?? []).map((v) => ({ field: v.field, description: v.description }));
  const reason = info?.reason ?? "";
  const metadata: Record<string, string> = info ? { ...info.metadata } : {};
  let text: string;
  const isNetwork =
    !reason &&
    (ce.code === Code.Unknown || ce.code === Code.Unavailable || ce.code === Code.Internal) &&
    /fetch|network|Failed to|load failed|HTTP 50[234]/i.test(raw);
  if (isNetwork) text = t("errors.network");
  else if (reason && has(`errors.reasons.${reason}`)) text = t(`errors.reasons.${reason}`, { ...metadata, kind: has(`errors.kinds.${metadata.kind}`) ? t(`errors.kinds.${metadata.kind}`) : metadata.kind ?? "", message: raw });
  else if (has(`errors.${codeName}`)) text = t(`errors.${codeName}`, { message: raw });
  else text = t("errors.generic", { message: raw || codeName });
  return { code: ce.code, codeName, reason, raw, text, violations, metadata };
}

/**
 * The form field a violation names, with the prefixes the hub may use ("spec.", "need.",
 * "offer.", "coverage.") taken off, and the list index apart: "spec.countries[1]" ->
 * { key: "countries", index: 1 }.
 */
export function fieldKey(path: string): { key: string; index: number | null } {
  let p = path;
  for (;;) {
    const stripped = p.replace(/^(spec|need|offer|actor|practice|coverage|request)\./, "");
    if (stripped === p) break;
    p = stripped;
  }
  const m = /^(.*?)\[(\d+)\]$/.exec(p);
  if (m) return { key: m[1], index: Number(m[2]) };
  return { key: p, index: null };
}
