//! Hard filters: a pair that fails one is never a candidate and cannot be proposed.

use crate::domain::{Need, Offer};

/// Why an offer cannot serve a need, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal(pub String);

/// Checks every hard filter of DESIGN.md: the offer is active with remaining capacity, the
/// provider is not the requester, they share an objective and a modality, the offer covers a
/// country where help is delivered, and their windows overlap.
pub fn check_pair(need: &Need, offer: &Offer) -> Result<(), Refusal> {
    match first_broken(need, offer) {
        None => Ok(()),
        Some(filter) => Err(Refusal(filter.words(need, offer))),
    }
}

/// Whether the pair passes every hard filter: [`check_pair`] without the words, for ranking,
/// which tries thousands of offers per query.
pub fn passes(need: &Need, offer: &Offer) -> bool {
    first_broken(need, offer).is_none()
}

/// The hard filters, in the order they are checked.
#[derive(Debug, Clone, Copy)]
enum HardFilter {
    Available,
    NotOwnOffer,
    SharedObjective,
    SharedModality,
    CountryServed,
    WindowsOverlap,
}

fn first_broken(need: &Need, offer: &Offer) -> Option<HardFilter> {
    let (wanted, offered) = (&need.spec, &offer.spec);
    if !offer.is_available() {
        Some(HardFilter::Available)
    } else if offer.provider_id == need.requester_id {
        Some(HardFilter::NotOwnOffer)
    } else if !wanted.themes.iter().any(|theme| offered.themes.contains(theme)) {
        Some(HardFilter::SharedObjective)
    } else if !wanted.modalities.iter().any(|m| offered.modalities.contains(m)) {
        Some(HardFilter::SharedModality)
    } else if !wanted.countries.iter().any(|c| offered.coverage.fit(c).is_some()) {
        Some(HardFilter::CountryServed)
    } else if !wanted.window.overlaps(&offered.window) {
        Some(HardFilter::WindowsOverlap)
    } else {
        None
    }
}

impl HardFilter {
    fn words(self, need: &Need, offer: &Offer) -> String {
        let (offer_id, need_id) = (&offer.id, &need.id);
        match self {
            HardFilter::Available => format!(
                "offer {offer_id} is {} with {} of {} capacity left",
                offer.status.word(),
                offer.remaining_capacity,
                offer.spec.capacity
            ),
            HardFilter::NotOwnOffer => format!("offer {offer_id} is the requester's own"),
            HardFilter::SharedObjective => format!("offer {offer_id} shares no GCM objective with need {need_id}"),
            HardFilter::SharedModality => {
                format!("offer {offer_id} offers none of the modalities need {need_id} asks for")
            }
            HardFilter::CountryServed => format!("offer {offer_id} does not serve any country of need {need_id}"),
            HardFilter::WindowsOverlap => {
                format!("the windows of offer {offer_id} and need {need_id} do not overlap")
            }
        }
    }
}
