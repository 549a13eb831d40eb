//! ExplainMatch: why a pair is or is not a candidate. Every match and every non-match explained:
//! a candidate gets FindMatches' own score and sentence and its rank among the need's
//! candidates; any other pair gets every hard filter it fails, in words.

use super::{Hub, HubError, MatchCandidate};
use crate::domain::{Need, Offer};
use crate::domain::{Reason, Refusal};
use crate::matching;

/// A pair explained.
#[derive(Debug, Clone)]
pub enum PairExplanation {
    /// The pair is one of the need's candidates.
    Candidate {
        /// As FindMatches gives it.
        candidate: Box<MatchCandidate>,
        /// Its place among the need's candidates, 1 for the best.
        rank: usize,
        /// How many candidates the need has.
        candidates: usize,
    },
    /// The pair is not a candidate: why, in words, each reason once.
    Refused { reasons: Vec<String> },
}

impl Hub {
    /// Explains the pair (need, offer): as FindMatches would rank and explain it, or every
    /// reason it cannot be one of the need's candidates.
    pub fn explain_match(&self, need_id: &str, offer_id: &str) -> Result<PairExplanation, HubError> {
        let need: Need = self.load("need_id", need_id)?;
        let offer: Offer = self.load("offer_id", offer_id)?;
        let reasons: Vec<String> = matching::filter::refusals(&need, &offer)
            .into_iter()
            .map(|refusal| refusal.words)
            .chain(self.declines_in_words(&need, &offer)?)
            .collect();
        if !reasons.is_empty() {
            return Ok(PairExplanation::Refused { reasons });
        }
        let graph = self.graph();
        let view = self.ranking_view(&need, &graph);
        let text = view.text_query(&need);
        let ranked = self.ranked_candidates(&need, text.query(), &view, None)?;
        let Some(at) = ranked.iter().position(|ranked| ranked.offer.id == offer.id) else {
            // Passed every filter read above but not ranked: the offer changed in between.
            return Err(HubError::Refused(Refusal::new(
                Reason::PairChanged,
                format!("offer {offer_id} changed while it was explained; ask again"),
            )));
        };
        let candidate = self.candidate(&need, &text, &ranked[at].offer, &view)?;
        Ok(PairExplanation::Candidate {
            candidate: Box::new(candidate),
            rank: at + 1,
            candidates: ranked.len(),
        })
    }

    /// The parties' declines of the pair, in words ("the provider declined need-7 for offer-3:
    /// no staff in March").
    fn declines_in_words(&self, need: &Need, offer: &Offer) -> Result<Vec<String>, HubError> {
        Ok(self
            .pair_preferences(&need.id, &offer.id)?
            .iter()
            .filter(|mark| mark.is_declined())
            .map(|mark| mark.describe())
            .collect())
    }
}
