//! The offers open to matching and every actor, decoded once and kept in memory.
//!
//! FindMatches, FindBundles and RunAllocation rank thousands of offers per need at tier L; reading
//! and decoding each from sled per query cost more than the whole scoring. The catalogue holds
//! the available offers grouped by GCM objective and the actors (providers of candidates, names
//! along trust paths) as shared records. It is rebuilt from the store at open and refreshed,
//! under the writer lock, with exactly the records each applied change wrote
//! ([`crate::store::WriteSet::changed`]), so it never disagrees with the store a reader could see.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use crate::domain::{Actor, Need, Objective, Offer};
use crate::matching;
use crate::store::{Store, StoreError, TreeName, WriteSet, records};

/// Available offers by objective, and every actor.
#[derive(Debug, Default)]
pub(super) struct Catalogue {
    /// Every available offer (active, with capacity left), by record number.
    offers: HashMap<u64, Arc<Offer>>,
    /// Record numbers of the available offers of each objective, ascending.
    by_objective: HashMap<Objective, BTreeSet<u64>>,
    /// Every actor, by id.
    actors: HashMap<String, Arc<Actor>>,
}

/// The records an applied change touched that the catalogue mirrors, taken from its write set
/// before the store consumes it.
pub(super) struct Touched {
    offers: Vec<u64>,
    actors: Vec<u64>,
}

impl Touched {
    /// The offers and actors `writes` changes.
    pub(super) fn of(writes: &WriteSet) -> Touched {
        Touched {
            offers: writes.changed(TreeName::Offers).collect(),
            actors: writes.changed(TreeName::Actors).collect(),
        }
    }
}

impl Catalogue {
    /// Reads every actor and available offer from the store.
    pub(super) fn load(store: &Store) -> Result<Catalogue, StoreError> {
        let mut catalogue = Catalogue::default();
        for actor in store.all::<Actor>() {
            let actor = actor?;
            catalogue.actors.insert(actor.id.clone(), Arc::new(actor));
        }
        for offer in store.all::<Offer>() {
            let offer = offer?;
            let number = records::id_number::<Offer>(&offer.id)?;
            catalogue.put_offer(number, offer);
        }
        Ok(catalogue)
    }

    /// Re-reads the records a change touched, after it was applied.
    pub(super) fn refresh(&mut self, store: &Store, touched: &Touched) -> Result<(), StoreError> {
        for &number in &touched.offers {
            self.remove_offer(number);
            if let Some(offer) = store.get_by_number::<Offer>(number)? {
                self.put_offer(number, offer);
            }
        }
        for &number in &touched.actors {
            if let Some(actor) = store.get_by_number::<Actor>(number)? {
                self.actors.insert(actor.id.clone(), Arc::new(actor));
            }
        }
        Ok(())
    }

    fn put_offer(&mut self, number: u64, offer: Offer) {
        if !offer.is_available() {
            return;
        }
        for theme in &offer.spec.themes {
            self.by_objective.entry(*theme).or_default().insert(number);
        }
        self.offers.insert(number, Arc::new(offer));
    }

    fn remove_offer(&mut self, number: u64) {
        if let Some(offer) = self.offers.remove(&number) {
            for theme in &offer.spec.themes {
                if let Some(numbers) = self.by_objective.get_mut(theme) {
                    numbers.remove(&number);
                }
            }
        }
    }

    /// Each available offer sharing at least one of `themes`, once, in no particular order.
    pub(super) fn offers_for<'a>(&'a self, themes: &'a [Objective]) -> impl Iterator<Item = (u64, &'a Arc<Offer>)> {
        themes.iter().enumerate().flat_map(move |(position, theme)| {
            let earlier = &themes[..position];
            self.by_objective
                .get(theme)
                .into_iter()
                .flatten()
                .filter_map(|number| Some((*number, self.offers.get(number)?)))
                // An offer sharing several of the themes is yielded under the first of them.
                .filter(move |(_, offer)| !offer.spec.themes.iter().any(|t| earlier.contains(t)))
        })
    }

    /// Whether any available offer passes the need's hard filters: a need without one is unmet
    /// demand.
    pub(super) fn has_candidate_for(&self, need: &Need) -> bool {
        self.offers_for(&need.spec.themes)
            .any(|(_, offer)| matching::passes(need, offer))
    }

    /// The actor with this id.
    pub(super) fn actor(&self, id: &str) -> Option<&Arc<Actor>> {
        self.actors.get(id)
    }
}
