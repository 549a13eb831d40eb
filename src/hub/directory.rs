//! Actors read once per request: providers of candidates, and the names along trust paths.

use std::collections::HashMap;

use super::HubError;
use crate::domain::Actor;
use crate::graph::TrustPath;
use crate::matching::TrustLink;
use crate::store::Store;

/// Actors read once per request, for providers and the names along trust paths.
pub(super) struct ActorDirectory<'a> {
    store: &'a Store,
    actors: HashMap<String, Option<Actor>>,
}

impl<'a> ActorDirectory<'a> {
    pub(super) fn new(store: &'a Store) -> ActorDirectory<'a> {
        ActorDirectory {
            store,
            actors: HashMap::new(),
        }
    }

    pub(super) fn get(&mut self, id: &str) -> Result<Option<&Actor>, HubError> {
        if !self.actors.contains_key(id) {
            let actor = self.store.get::<Actor>(id)?;
            self.actors.insert(id.to_string(), actor);
        }
        Ok(self.actors.get(id).and_then(Option::as_ref))
    }

    pub(super) fn name(&mut self, id: &str) -> Result<String, HubError> {
        Ok(self
            .get(id)?
            .map_or_else(|| id.to_string(), |actor| actor.profile.name.clone()))
    }

    /// The path in words: "partner of your partner IOM (trust 0.8 x 0.9)".
    pub(super) fn describe(&mut self, path: &TrustPath) -> Result<TrustLink, HubError> {
        let trusts: Vec<String> = path.hops.iter().map(|hop| format!("{:.2}", hop.trust)).collect();
        let names = path
            .intermediaries()
            .map(|id| self.name(id))
            .collect::<Result<Vec<_>, _>>()?;
        let words = match names.as_slice() {
            [] => format!(
                "direct partner ({}, trust {})",
                path.hops[0].kind.code().replace('_', " "),
                trusts[0]
            ),
            [broker] => format!("partner of your partner {broker} (trust {})", trusts.join(" x ")),
            brokers => format!(
                "three steps away through {} (trust {})",
                brokers.join(" and "),
                trusts.join(" x ")
            ),
        };
        Ok(TrustLink {
            trust: path.trust(),
            words,
        })
    }
}
