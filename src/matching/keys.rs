//! Needs and offers as compact keys: three of the hard filters and an upper bound on the score,
//! as bit tests on data kept next to each other in memory.
//!
//! Ranking a need at tier L walks some 20,000 offers that share one of its objectives. Testing
//! each with [`super::passes`] and scoring each from the records chases a dozen pointers and
//! compares country and language codes as strings. With keys, the hub tests the filters on bits,
//! bounds every survivor's score from above, and scores exactly only the offers whose bound can
//! still reach the result, from the keys and the two components they do not hold
//! ([`RecordFit`]).
//!
//! For validated records (every country and area code known, each theme, modality and country
//! named once, at least one country) three things hold: [`OfferKey::serves`] answers exactly as
//! the modality, country and window filters do, [`OfferKey::score_bound`] is never below the
//! score, and [`OfferKey::score`] equals the score from the records ([`score_pair`]'s) to the
//! last bit. The hub's tests check all three against the records on a synthetic world.
//!
//! [`score_pair`]: super::score_pair

use crate::domain::geography::{AreaFit, PlaceSet};
use crate::domain::offer::GeographicFit;
use crate::domain::{DateWindow, Modality, Need, Objective, Offer, Staleness};

use super::score::{RecordFit, ScoreWeights, TrackRecord, geographic_value, weighted};

/// What a need asks for, as keys test it.
#[derive(Debug, Clone, Copy)]
pub struct NeedKey {
    themes: u32,
    modalities: u32,
    /// The need's countries and every area that contains one of them.
    places: PlaceSet,
    /// The need's countries alone, then the areas containing them, tightest first.
    by_precision: [(PlaceSet, GeographicFit); 4],
    window: DateWindow,
}

/// What an offer gives, as keys test it.
#[derive(Debug, Clone, Copy)]
pub struct OfferKey {
    themes: u32,
    modalities: u32,
    /// The countries and areas the offer's coverage names.
    places: PlaceSet,
    worldwide: bool,
    window: DateWindow,
    /// Share of the capacity still free.
    free_share: f64,
}

fn theme_bits(themes: &[Objective]) -> u32 {
    themes.iter().fold(0, |bits, theme| bits | 1 << theme.number())
}

fn modality_bits(modalities: &[Modality]) -> u32 {
    modalities.iter().fold(0, |bits, m| bits | 1 << (*m as u32))
}

/// Share of the `wanted` bits found in `offered`, as the score counts it (1 when nothing is
/// wanted; records name each item once).
fn bit_share(wanted: u32, offered: u32) -> f64 {
    if wanted == 0 {
        return 1.0;
    }
    f64::from((wanted & offered).count_ones()) / f64::from(wanted.count_ones())
}

impl NeedKey {
    /// The key of `need`.
    pub fn of(need: &Need) -> NeedKey {
        let countries = &need.spec.countries;
        let area = |level| (PlaceSet::areas_containing(countries, level), GeographicFit::Area(level));
        NeedKey {
            themes: theme_bits(&need.spec.themes),
            modalities: modality_bits(&need.spec.modalities),
            places: PlaceSet::reaching(countries),
            by_precision: [
                (PlaceSet::of(countries, &[]), GeographicFit::Country),
                area(AreaFit::Intermediate),
                area(AreaFit::SubRegion),
                area(AreaFit::Region),
            ],
            window: need.spec.window,
        }
    }
}

impl NeedKey {
    /// Whether the need names one of `themes`.
    pub fn has_any_theme(&self, themes: &[Objective]) -> bool {
        self.themes & theme_bits(themes) != 0
    }
}

impl OfferKey {
    /// The key of `offer`.
    pub fn of(offer: &Offer) -> OfferKey {
        let coverage = &offer.spec.coverage;
        OfferKey {
            themes: theme_bits(&offer.spec.themes),
            modalities: modality_bits(&offer.spec.modalities),
            places: PlaceSet::of(&coverage.countries, &coverage.areas),
            worldwide: coverage.worldwide,
            window: offer.spec.window,
            free_share: super::score::free_share(offer),
        }
    }

    /// Whether the offer names one of `themes`.
    pub fn has_any_theme(&self, themes: &[Objective]) -> bool {
        self.themes & theme_bits(themes) != 0
    }

    /// Whether the offer delivers one of the need's modalities, serves one of its countries and
    /// overlaps its window.
    pub fn serves(&self, need: &NeedKey) -> bool {
        self.modalities & need.modalities != 0
            && (self.worldwide || self.places.intersects(&need.places))
            && self.window.overlaps(&need.window)
    }

    /// The highest score the pair can have when the path trust is at most `trust_bound`: the
    /// text relevance (computed by the caller), objective, modality, geography, track record and
    /// load components exactly, language and level at their best. A stale offer's penalty only
    /// lowers its score (see [`crate::domain::staleness::STALE_PENALTY`]), so the bound, taken
    /// as for a current offer, holds for a stale one too.
    pub fn score_bound(
        &self,
        need: &NeedKey,
        trust_bound: f64,
        track_record: TrackRecord,
        text_relevance: f64,
        weights: &ScoreWeights,
    ) -> f64 {
        let (record, current) = (RecordFit::BEST, Staleness::Current);
        self.score(
            need,
            record,
            trust_bound,
            track_record,
            text_relevance,
            current,
            weights,
        )
    }

    /// The pair's score as ranking gives it (FindMatches, FindNeeds, allocation runs), with the
    /// language and level fit, the path trust and the listing's staleness given: for validated
    /// records, equal to the last bit to the explained score ([`super::score_pair`]), since each
    /// component the keys hold is the same quotient of the same counts. Ranking scores hundreds
    /// of pairs per query exactly; the records' geography compares country and area codes as
    /// strings, the keys' tests bits.
    #[allow(clippy::too_many_arguments)] // the components keys do not hold, as plain values
    pub fn score(
        &self,
        need: &NeedKey,
        record: RecordFit,
        trust: f64,
        track_record: TrackRecord,
        text_relevance: f64,
        staleness: Staleness,
        weights: &ScoreWeights,
    ) -> f64 {
        let values = [
            text_relevance,
            bit_share(need.themes, self.themes),
            bit_share(need.modalities, self.modalities),
            self.geography(need),
            record.language,
            record.level,
            trust,
            track_record.value(),
            self.free_share,
        ];
        staleness.penalised(weighted(&values, weights))
    }

    /// The least path trust with which the pair's [`OfferKey::score_bound`] reaches `score`: with
    /// less, the pair scores below `score` whatever its other components (0 when trust weighs
    /// nothing). The score is linear in the trust, so this is exact up to rounding.
    pub fn trust_needed(
        &self,
        need: &NeedKey,
        track_record: TrackRecord,
        text_relevance: f64,
        weights: &ScoreWeights,
        score: f64,
    ) -> f64 {
        let total = weights.total();
        if weights.partnership_proximity <= 0.0 || total <= 0.0 {
            return 0.0;
        }
        let without_trust = self.score_bound(need, 0.0, track_record, text_relevance, weights);
        (score - without_trust) * total / weights.partnership_proximity
    }

    /// The geography component: the tightest way the coverage names one of the need's places.
    fn geography(&self, need: &NeedKey) -> f64 {
        let named = need
            .by_precision
            .iter()
            .find(|(places, _)| places.intersects(&self.places))
            .map(|(_, fit)| *fit);
        match named {
            Some(fit) => geographic_value(fit),
            None if self.worldwide => geographic_value(GeographicFit::Worldwide),
            None => 0.0,
        }
    }
}
