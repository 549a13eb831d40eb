// The signed-in session: an API token and the actor it acts for, kept in sessionStorage only
// (never in the URL, never in a cookie).

export interface Session {
  token: string;
  actorId: string;
}

const KEY = "capacity-hub.session";
const listeners: (() => void)[] = [];

export function session(): Session | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    if (!raw) return null;
    const parsed = JSON.parse(raw) as Session;
    if (typeof parsed.token === "string" && parsed.token && typeof parsed.actorId === "string") return parsed;
  } catch {
    /* ignore */
  }
  return null;
}

export function signIn(token: string, actorId: string): void {
  sessionStorage.setItem(KEY, JSON.stringify({ token, actorId }));
  for (const fn of listeners) fn();
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
  for (const fn of listeners) fn();
}

export function onSessionChange(fn: () => void): void {
  listeners.push(fn);
}
