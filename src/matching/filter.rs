//! Hard filters: a pair that fails one is never a candidate and cannot be proposed.

use crate::domain::{Need, Offer};

/// Why an offer cannot serve a need, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal(pub String);

/// Checks every hard filter of DESIGN.md: the offer is active with remaining capacity, the
/// provider is not the requester, they share an objective and a modality, the offer covers a
/// country where help is delivered, and their windows overlap.
pub fn check_pair(need: &Need, offer: &Offer) -> Result<(), Refusal> {
    let refuse = |why: String| Err(Refusal(why));
    if !offer.is_available() {
        return refuse(format!(
            "offer {} is {} with {} of {} capacity left",
            offer.id,
            offer.status.word(),
            offer.remaining_capacity,
            offer.spec.capacity
        ));
    }
    if offer.provider_id == need.requester_id {
        return refuse(format!("offer {} is the requester's own", offer.id));
    }
    if !need.spec.themes.iter().any(|theme| offer.spec.themes.contains(theme)) {
        return refuse(format!(
            "offer {} shares no GCM objective with need {}",
            offer.id, need.id
        ));
    }
    if !need
        .spec
        .modalities
        .iter()
        .any(|modality| offer.spec.modalities.contains(modality))
    {
        return refuse(format!(
            "offer {} offers none of the modalities need {} asks for",
            offer.id, need.id
        ));
    }
    if !need
        .spec
        .countries
        .iter()
        .any(|country| offer.spec.coverage.fit(country).is_some())
    {
        return refuse(format!(
            "offer {} does not serve any country of need {}",
            offer.id, need.id
        ));
    }
    if !need.spec.window.overlaps(&offer.spec.window) {
        return refuse(format!(
            "the windows of offer {} and need {} do not overlap",
            offer.id, need.id
        ));
    }
    Ok(())
}
