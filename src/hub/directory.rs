//! Actors by id for one request, from the in-memory catalogue: providers of candidates and the
//! names along trust paths.

use std::sync::Arc;

use super::catalogue::Catalogue;
use crate::domain::Actor;
use crate::graph::TrustPath;
use crate::matching::TrustLink;

/// Actors by id, and trust paths in words.
pub(super) struct ActorDirectory<'a> {
    catalogue: &'a Catalogue,
}

impl<'a> ActorDirectory<'a> {
    pub(super) fn new(catalogue: &'a Catalogue) -> ActorDirectory<'a> {
        ActorDirectory { catalogue }
    }

    pub(super) fn get(&self, id: &str) -> Option<&'a Arc<Actor>> {
        self.catalogue.actor(id)
    }

    /// The actor's name, or its id when it is unknown.
    pub(super) fn name(&self, id: &str) -> String {
        self.get(id)
            .map_or_else(|| id.to_string(), |actor| actor.profile.name.clone())
    }

    /// The path in words: "partner of your partner IOM (trust 0.8 x 0.9)".
    pub(super) fn describe(&self, path: &TrustPath) -> TrustLink {
        let trusts: Vec<String> = path.hops.iter().map(|hop| format!("{:.2}", hop.trust)).collect();
        let names: Vec<String> = path.intermediaries().map(|id| self.name(id)).collect();
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
        TrustLink {
            trust: path.trust(),
            words,
        }
    }
}
