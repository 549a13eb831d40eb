//! Queries over the partnership graph: the best trust path between two actors, and the
//! introductions a broker can make to providers an actor does not know yet.

use std::collections::{BTreeSet, HashMap};

use super::directory::ActorDirectory;
use super::{Hub, HubError};
use crate::domain::validation::count_or_default;
use crate::domain::{Actor, Need, Offer};
use crate::graph::{BrokerLink, TrustPath};
use crate::matching;
use crate::store::TreeName;

/// Default number of suggestions.
pub const DEFAULT_SUGGESTIONS: usize = 10;
/// Largest number of suggestions.
pub const MAX_SUGGESTIONS: usize = 100;

/// A trust path with its actors and its sentence.
#[derive(Debug, Clone)]
pub struct NamedPath {
    pub path: TrustPath,
    /// Every actor along the path, by id.
    pub actors: HashMap<String, Actor>,
    pub summary: String,
}

/// A provider worth meeting and who can introduce it.
#[derive(Debug, Clone)]
pub struct PartnerSuggestion {
    pub provider: Actor,
    /// Brokers with their actors, strongest introduction first.
    pub brokers: Vec<(Actor, BrokerLink)>,
    pub score: f64,
    /// The provider's offers that fit (the need's candidates, or all available offers).
    pub offer_ids: Vec<String>,
}

impl Hub {
    /// The highest-trust path of at most three hops between two actors, if any.
    pub fn find_path(&self, from_actor_id: &str, to_actor_id: &str) -> Result<Option<NamedPath>, HubError> {
        self.load::<Actor>("from_actor_id", from_actor_id)?;
        self.load::<Actor>("to_actor_id", to_actor_id)?;
        let path = self.graph().proximity_from(from_actor_id).trust_path(to_actor_id);
        let Some(path) = path else { return Ok(None) };
        let catalogue = self.catalogue();
        let directory = ActorDirectory::new(&catalogue);
        let summary = directory.describe(&path).words;
        let mut actors = HashMap::new();
        for hop in &path.hops {
            for id in [&hop.from, &hop.to] {
                if let Some(actor) = directory.get(id) {
                    actors.insert(id.clone(), Actor::clone(actor));
                }
            }
        }
        Ok(Some(NamedPath { path, actors, summary }))
    }

    /// Providers `actor_id` has no partnership with, reachable through common partners, best
    /// first; with a need, only providers with an offer that passes its hard filters.
    pub fn suggest_partners(
        &self,
        actor_id: &str,
        need_id: Option<&str>,
        limit: u32,
    ) -> Result<Vec<PartnerSuggestion>, HubError> {
        let limit = count_or_default("limit", limit, DEFAULT_SUGGESTIONS, MAX_SUGGESTIONS)?;
        self.load::<Actor>("actor_id", actor_id)?;
        let need = need_id.map(|id| self.load::<Need>("need_id", id)).transpose()?;
        let introductions = self.graph().introductions(actor_id);
        let catalogue = self.catalogue();
        let directory = ActorDirectory::new(&catalogue);
        let mut suggestions = Vec::new();
        for introduction in introductions {
            if suggestions.len() == limit {
                break;
            }
            let offer_ids = self.offers_worth_meeting(&introduction.provider, need.as_ref())?;
            if offer_ids.is_empty() {
                continue;
            }
            let Some(provider) = directory.get(&introduction.provider).map(|a| Actor::clone(a)) else {
                continue;
            };
            let mut brokers = Vec::new();
            for link in introduction.brokers {
                if let Some(broker) = directory.get(&link.broker) {
                    brokers.push((Actor::clone(broker), link));
                }
            }
            suggestions.push(PartnerSuggestion {
                provider,
                brokers,
                score: introduction.score,
                offer_ids,
            });
        }
        Ok(suggestions)
    }

    fn offers_worth_meeting(&self, provider_id: &str, need: Option<&Need>) -> Result<Vec<String>, HubError> {
        let mut numbers = BTreeSet::new();
        for number in self.store.ids_in_index(TreeName::OffersByProvider, provider_id) {
            numbers.insert(number?);
        }
        let mut offer_ids = Vec::new();
        for number in numbers {
            let Some(offer) = self.store.get_by_number::<Offer>(number)? else {
                continue;
            };
            let fits = match need {
                Some(need) => matching::check_pair(need, &offer).is_ok(),
                None => offer.is_available(),
            };
            if fits {
                offer_ids.push(offer.id);
            }
        }
        Ok(offer_ids)
    }
}
