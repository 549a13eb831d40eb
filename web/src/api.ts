// The hub's own API over gRPC-Web, same origin. Every call carries the session's token, if any.

import { createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { ActorService } from "./gen/capacityhub/v1/actors_pb";
import { NeedService } from "./gen/capacityhub/v1/needs_pb";
import { OfferService } from "./gen/capacityhub/v1/offers_pb";
import { MatchService } from "./gen/capacityhub/v1/matches_pb";
import { PartnershipService } from "./gen/capacityhub/v1/partnerships_pb";
import { PracticeService } from "./gen/capacityhub/v1/practices_pb";
import { SearchService } from "./gen/capacityhub/v1/search_pb";
import { InsightService } from "./gen/capacityhub/v1/insights_pb";
import { session } from "./session";
import type { Actor } from "./gen/capacityhub/v1/actors_pb";

const auth: Interceptor = (next) => async (req) => {
  const s = session();
  // A call may name its own token (the sign-in page asks WhoAmI of the token pasted).
  if (s && !req.header.has("authorization")) req.header.set("authorization", `Bearer ${s.token}`);
  return next(req);
};

export const transport = createGrpcWebTransport({
  baseUrl: window.location.origin,
  interceptors: [auth],
});

export const actors = createClient(ActorService, transport);
export const needs = createClient(NeedService, transport);
export const offers = createClient(OfferService, transport);
export const matches = createClient(MatchService, transport);
export const partnerships = createClient(PartnershipService, transport);
export const practices = createClient(PracticeService, transport);
export const search = createClient(SearchService, transport);
export const insights = createClient(InsightService, transport);

// Actors by id, asked once per page load.
const actorCache = new Map<string, Promise<Actor | null>>();

export function actor(id: string): Promise<Actor | null> {
  let found = actorCache.get(id);
  if (!found) {
    found = actors.getActor({ id }).catch(() => null);
    actorCache.set(id, found);
  }
  return found;
}

export function rememberActor(a: Actor): void {
  actorCache.set(a.id, Promise.resolve(a));
}

export function forgetActors(): void {
  actorCache.clear();
}
