//! Hard filters: a pair that fails one is never a candidate and cannot be proposed. Each filter
//! is named once here, with its test and its words: ProposeMatch refuses with the first one a
//! pair fails, ExplainMatch lists every one.

use crate::domain::geography;
use crate::domain::{Need, NeedStatus, Offer, OfferStatus, Reason, Refusal};

/// Checks every hard filter of DESIGN.md: the offer is active with remaining capacity, the
/// provider is not the requester, they share an objective and a modality, the offer covers a
/// country where help is delivered, and their windows overlap.
pub fn check_pair(need: &Need, offer: &Offer) -> Result<(), Refusal> {
    match HardFilter::ALL.into_iter().find(|filter| filter.fails(need, offer)) {
        None => Ok(()),
        Some(filter) => Err(filter.refusal(need, offer)),
    }
}

/// Whether the pair passes every hard filter: [`check_pair`] without the words, for ranking,
/// which tries thousands of offers per query.
pub fn passes(need: &Need, offer: &Offer) -> bool {
    HardFilter::ALL.into_iter().all(|filter| !filter.fails(need, offer))
}

/// Every hard filter the pair fails, in words, in the order they are checked; and first, when
/// the need is no longer open, that it is not matched any more. Empty for a candidate pair.
pub fn refusals(need: &Need, offer: &Offer) -> Vec<Refusal> {
    let closed = (need.status != NeedStatus::Open).then(|| {
        Refusal::new(
            Reason::NeedNotOpen,
            format!(
                "need {} is {}: only open needs are matched",
                need.id,
                need.status.word()
            ),
        )
    });
    closed
        .into_iter()
        .chain(
            HardFilter::ALL
                .into_iter()
                .filter(|filter| filter.fails(need, offer))
                .map(|filter| filter.refusal(need, offer)),
        )
        .collect()
}

/// Whether the offer can take on another engagement, in words when it cannot: the one hard
/// filter that looks at the offer alone.
pub fn check_available(offer: &Offer) -> Result<(), Refusal> {
    if offer.is_available() {
        Ok(())
    } else {
        Err(unavailable(offer))
    }
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

impl HardFilter {
    const ALL: [HardFilter; 6] = [
        HardFilter::Available,
        HardFilter::NotOwnOffer,
        HardFilter::SharedObjective,
        HardFilter::SharedModality,
        HardFilter::CountryServed,
        HardFilter::WindowsOverlap,
    ];

    fn fails(self, need: &Need, offer: &Offer) -> bool {
        let (wanted, offered) = (&need.spec, &offer.spec);
        match self {
            HardFilter::Available => !offer.is_available(),
            HardFilter::NotOwnOffer => offer.provider_id == need.requester_id,
            HardFilter::SharedObjective => !wanted.themes.iter().any(|theme| offered.themes.contains(theme)),
            HardFilter::SharedModality => !wanted.modalities.iter().any(|m| offered.modalities.contains(m)),
            HardFilter::CountryServed => !wanted.countries.iter().any(|c| offered.coverage.fit(c).is_some()),
            HardFilter::WindowsOverlap => !wanted.window.overlaps(&offered.window),
        }
    }

    /// The refusal of a pair that fails this filter.
    fn refusal(self, need: &Need, offer: &Offer) -> Refusal {
        let reason = match self {
            HardFilter::Available => return unavailable(offer),
            HardFilter::NotOwnOffer => Reason::OwnOffer,
            HardFilter::SharedObjective => Reason::NoSharedObjective,
            HardFilter::SharedModality => Reason::NoSharedModality,
            HardFilter::CountryServed => Reason::CountryNotServed,
            HardFilter::WindowsOverlap => Reason::WindowsDoNotOverlap,
        };
        Refusal::new(reason, self.words(need, offer))
    }

    fn words(self, need: &Need, offer: &Offer) -> String {
        let (wanted, offered) = (&need.spec, &offer.spec);
        match self {
            HardFilter::Available => available_words(offer),
            HardFilter::NotOwnOffer => format!("offer {} is the requester's own", offer.id),
            HardFilter::SharedObjective => format!(
                "no shared objective: the need asks {}; the offer gives {}",
                listed(wanted.themes.iter().map(ToString::to_string)),
                listed(offered.themes.iter().map(ToString::to_string)),
            ),
            HardFilter::SharedModality => format!(
                "no shared modality: the need asks {}; the offer gives {}",
                listed(wanted.modalities.iter().map(|m| m.code().replace('_', " "))),
                listed(offered.modalities.iter().map(|m| m.code().replace('_', " "))),
            ),
            HardFilter::CountryServed => {
                let coverage = &offered.coverage;
                let served = coverage.countries.iter().map(|code| country_name(code)).chain(
                    coverage
                        .areas
                        .iter()
                        .map(|slug| geography::area_name(slug).unwrap_or(slug).to_string()),
                );
                format!(
                    "the offer serves {}; the need is in {}",
                    listed(served),
                    listed(wanted.countries.iter().map(|code| country_name(code)))
                )
            }
            HardFilter::WindowsOverlap => {
                let window = |w: &crate::domain::DateWindow| {
                    let (start, end) = w.to_strings();
                    let open = |day: String, word: &str| if day.is_empty() { word.to_string() } else { day };
                    format!("{} to {}", open(start, "any time"), open(end, "open end"))
                };
                format!(
                    "the windows do not overlap: the need runs {}; the offer runs {}",
                    window(&wanted.window),
                    window(&offered.window)
                )
            }
        }
    }
}

/// The refusal of an offer that is not available, whatever the need.
fn unavailable(offer: &Offer) -> Refusal {
    let reason = match offer.status {
        OfferStatus::Active | OfferStatus::Exhausted => Reason::OfferExhausted,
        OfferStatus::Paused | OfferStatus::Withdrawn | OfferStatus::Expired => Reason::OfferNotActive,
    };
    Refusal::new(reason, available_words(offer))
}

/// Why an offer that is not available cannot serve, in words.
fn available_words(offer: &Offer) -> String {
    let capacity = offer.spec.capacity;
    let taken = capacity.saturating_sub(offer.remaining_capacity);
    format!(
        "offer {} is {} ({taken} of {capacity} places taken)",
        offer.id,
        offer.status.word()
    )
}

/// A country's name, or its code when it is not known.
fn country_name(code: &str) -> String {
    geography::country(code).map_or_else(|| code.to_string(), |country| country.name.to_string())
}

/// Items joined by commas; "nothing" for none.
fn listed(items: impl Iterator<Item = String>) -> String {
    let items: Vec<String> = items.collect();
    if items.is_empty() {
        "nothing".into()
    } else {
        items.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Coverage, DateWindow, Level, Modality, NeedSpec, Objective, OfferSpec, OfferStatus, Urgency};

    fn pair() -> (Need, Offer) {
        let need = Need {
            id: "need-1".into(),
            requester_id: "actor-1".into(),
            spec: NeedSpec {
                title: "Victim identification".into(),
                description: String::new(),
                themes: vec![Objective::new(13).unwrap(), Objective::new(7).unwrap()],
                modalities: vec![Modality::Training],
                level: Level::National,
                countries: vec!["GTM".into()],
                languages: vec!["es".into()],
                budget_usd: None,
                urgency: Urgency::Normal,
                window: DateWindow::parse("2026-01-01", "2026-06-30").unwrap(),
            },
            status: NeedStatus::Open,
            created_at: 0,
            updated_at: 0,
        };
        let offer = Offer {
            id: "offer-2".into(),
            provider_id: "actor-2".into(),
            spec: OfferSpec {
                title: "Training".into(),
                description: String::new(),
                themes: vec![Objective::new(13).unwrap()],
                modalities: vec![Modality::Training],
                levels: Vec::new(),
                coverage: Coverage {
                    countries: vec!["GTM".into()],
                    areas: Vec::new(),
                    worldwide: false,
                },
                languages: vec!["es".into()],
                capacity: 3,
                funding_usd: None,
                window: DateWindow::default(),
            },
            remaining_capacity: 3,
            status: OfferStatus::Active,
            created_at: 0,
            updated_at: 0,
        };
        (need, offer)
    }

    #[test]
    fn a_candidate_pair_has_no_refusal_and_each_filter_is_named_in_words() {
        let (need, offer) = pair();
        assert!(refusals(&need, &offer).is_empty());
        assert!(passes(&need, &offer));

        let (mut need, mut offer) = pair();
        offer.remaining_capacity = 0;
        offer.status = OfferStatus::Exhausted;
        offer.provider_id = need.requester_id.clone();
        offer.spec.themes = vec![Objective::new(10).unwrap()];
        offer.spec.modalities = vec![Modality::Research];
        offer.spec.coverage = Coverage {
            countries: Vec::new(),
            areas: vec!["europe".into()],
            worldwide: false,
        };
        offer.spec.window = DateWindow::parse("2027-01-01", "").unwrap();
        need.status = NeedStatus::Fulfilled;
        let found = refusals(&need, &offer);
        let reasons: Vec<Reason> = found.iter().map(|r| r.reason).collect();
        assert_eq!(
            reasons,
            [
                Reason::NeedNotOpen,
                Reason::OfferExhausted,
                Reason::OwnOffer,
                Reason::NoSharedObjective,
                Reason::NoSharedModality,
                Reason::CountryNotServed,
                Reason::WindowsDoNotOverlap,
            ]
        );
        let words: Vec<String> = found.into_iter().map(|r| r.words).collect();
        assert_eq!(
            words,
            [
                "need need-1 is fulfilled: only open needs are matched",
                "offer offer-2 is exhausted (3 of 3 places taken)",
                "offer offer-2 is the requester's own",
                "no shared objective: the need asks 13, 7; the offer gives 10",
                "no shared modality: the need asks training; the offer gives research",
                "the offer serves Europe; the need is in Guatemala",
                "the windows do not overlap: the need runs 2026-01-01 to 2026-06-30; the offer runs 2027-01-01 to open end",
            ]
        );
        assert_eq!(check_pair(&need, &offer).unwrap_err().words, words[1]);
        assert!(!passes(&need, &offer));
    }
}
