//! Matches: an engagement between a need and an offer, from proposal to outcome, with the
//! explanation of why the pair fits. The state machine of a match lives here, once.

use serde::{Deserialize, Serialize};

use super::UnixMillis;
use super::event::{EventKind, HubEvent};
use super::refusal::{Reason, Refusal};
use super::taxonomy::MgiDimension;
use super::validation::{MAX_DESCRIPTION_CHARS, Violations};

/// Lowest and highest outcome rating.
pub const RATINGS: std::ops::RangeInclusive<u32> = 1..=5;

/// What a completed engagement achieved, reported by one of its parties. Poor outcomes are
/// recorded as faithfully as good ones: both teach the hub.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// The party who reported it.
    pub reported_by: String,
    /// 1 (failed) to 5 (excellent).
    pub rating: u32,
    /// MGI dimensions the engagement advanced.
    pub mgi_dimensions: Vec<MgiDimension>,
    pub lessons_learned: String,
    pub completed_at: UnixMillis,
}

impl Outcome {
    /// Checks the rating, dimensions and text.
    pub fn validate(&self) -> Result<(), Violations> {
        let mut violations = Violations::default();
        violations.check(
            RATINGS.contains(&self.rating),
            "rating",
            format!("{} must be from 1 to 5", self.rating),
        );
        violations.distinct("mgi_dimensions", &self.mgi_dimensions);
        violations.text("lessons_learned", &self.lessons_learned, MAX_DESCRIPTION_CHARS, false);
        violations.into_result()
    }

    /// Whether the outcome shares lessons learned: only then is it published as a practice.
    pub fn has_lessons(&self) -> bool {
        !self.lessons_learned.trim().is_empty()
    }

    /// True when the engagement served its need (rating 3 or more): the need is then fulfilled;
    /// otherwise it opens again for another provider.
    pub fn succeeded(&self) -> bool {
        self.rating >= 3
    }

    /// The trust an engagement with this rating earns between its parties, in (0, 1].
    pub fn earned_trust(&self) -> f64 {
        match self.rating {
            0 | 1 => 0.1,
            2 => 0.3,
            3 => 0.5,
            4 => 0.75,
            _ => 0.95,
        }
    }

    /// The parties' `past_collaboration` trust after this outcome: halfway from the trust they
    /// had (if any) to the trust this outcome earned, so one outcome moves it but does not erase
    /// the history.
    pub fn updated_trust(&self, previous: Option<f64>) -> f64 {
        match previous {
            Some(previous) => (previous + self.earned_trust()) / 2.0,
            None => self.earned_trust(),
        }
    }
}

/// Where a match is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MatchStatus {
    Proposed,
    AcceptedByRequester,
    AcceptedByProvider,
    /// Both accepted; one unit of the offer's capacity is reserved.
    Confirmed,
    Declined,
    Completed,
    Cancelled,
    Expired,
}

impl MatchStatus {
    /// The statuses of a live match: a proposal still being answered, or a confirmed
    /// engagement. A live match holds its need (no second live match for it) and its place in
    /// the offer.
    pub const LIVE: [MatchStatus; 4] = [
        MatchStatus::Proposed,
        MatchStatus::AcceptedByRequester,
        MatchStatus::AcceptedByProvider,
        MatchStatus::Confirmed,
    ];

    /// True for the statuses in [`MatchStatus::LIVE`].
    pub fn is_live(self) -> bool {
        MatchStatus::LIVE.contains(&self)
    }

    /// The statuses of a proposal the parties are still answering: the live statuses but
    /// [`MatchStatus::Confirmed`].
    pub const AWAITING_ANSWER: [MatchStatus; 3] = [
        MatchStatus::Proposed,
        MatchStatus::AcceptedByRequester,
        MatchStatus::AcceptedByProvider,
    ];

    /// True for the statuses in [`MatchStatus::AWAITING_ANSWER`].
    pub fn awaits_answer(self) -> bool {
        MatchStatus::AWAITING_ANSWER.contains(&self)
    }

    /// The status in words, for messages.
    pub fn word(self) -> &'static str {
        match self {
            MatchStatus::Proposed => "proposed",
            MatchStatus::AcceptedByRequester => "accepted by the requester",
            MatchStatus::AcceptedByProvider => "accepted by the provider",
            MatchStatus::Confirmed => "confirmed",
            MatchStatus::Declined => "declined",
            MatchStatus::Completed => "completed",
            MatchStatus::Cancelled => "cancelled",
            MatchStatus::Expired => "expired",
        }
    }
}

/// Which side of a match an actor is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Party {
    Requester,
    Provider,
}

/// One party's answer to a proposal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatchResponse {
    pub actor_id: String,
    pub accept: bool,
    pub reason: String,
    pub responded_at: UnixMillis,
}

/// One scored aspect of a need-offer pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreComponent {
    /// text_relevance, theme_coverage, modality_coverage, geography, language, level,
    /// partnership_proximity, track_record, load.
    pub name: String,
    /// In [0, 1].
    pub value: f64,
    /// The component's weight in the score.
    pub weight: f64,
    /// What the value means, in words.
    pub detail: String,
}

/// Why a pair scored as it did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// One line in words.
    pub summary: String,
    pub components: Vec<ScoreComponent>,
}

/// A match between a need and an offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Match {
    pub id: String,
    pub need_id: String,
    pub offer_id: String,
    /// Copied from the need so a party's matches are found without loading the need.
    pub requester_id: String,
    /// Copied from the offer, likewise.
    pub provider_id: String,
    /// The fit when proposed, in [0, 1].
    pub score: f64,
    pub explanation: Explanation,
    pub status: MatchStatus,
    pub responses: Vec<MatchResponse>,
    /// Set when the match completes.
    pub outcome: Option<Outcome>,
    pub created_at: UnixMillis,
    pub updated_at: UnixMillis,
}

impl Match {
    /// An event about this match, concerning both parties.
    pub fn event(&self, kind: EventKind, at: UnixMillis, by: Option<&str>, summary: String) -> HubEvent {
        HubEvent {
            need_id: Some(self.need_id.clone()),
            offer_id: Some(self.offer_id.clone()),
            match_id: Some(self.id.clone()),
            actor_ids: vec![self.requester_id.clone(), self.provider_id.clone()],
            by: by.map(str::to_string),
            ..HubEvent::new(kind, at, summary)
        }
    }

    /// When the match was confirmed: the later of the two acceptances (the last response) of a
    /// match confirmed or completed; `None` for one that never was, or was cancelled since. The
    /// one definition statistics and the expected time to match use.
    pub fn confirmed_at(&self) -> Option<UnixMillis> {
        let engaged = matches!(self.status, MatchStatus::Confirmed | MatchStatus::Completed);
        engaged
            .then(|| self.responses.iter().map(|r| r.responded_at).max())
            .flatten()
    }

    /// Which party `actor_id` is, if it is one.
    pub fn party(&self, actor_id: &str) -> Option<Party> {
        if actor_id == self.requester_id {
            Some(Party::Requester)
        } else if actor_id == self.provider_id {
            Some(Party::Provider)
        } else {
            None
        }
    }

    /// The status after `party` answers, or why the answer is refused. A confirmation still
    /// needs the offer's capacity, which the caller reserves in the same write.
    pub fn status_after_answer(&self, party: Party, accept: bool) -> Result<MatchStatus, Refusal> {
        use MatchStatus::*;
        if self.status == Confirmed && !accept {
            // A party pulling out of a confirmed engagement cancels it; its capacity returns.
            return Ok(Cancelled);
        }
        let already = match (self.status, party) {
            (AcceptedByRequester, Party::Requester) | (AcceptedByProvider, Party::Provider) => true,
            (status, _) if !status.awaits_answer() => {
                return Err(Refusal::new(
                    Reason::AnswerNotExpected,
                    format!("match {} is {}; it takes no more answers", self.id, status.word()),
                ));
            }
            _ => false,
        };
        if already {
            return Err(Refusal::new(
                Reason::AnswerNotExpected,
                format!(
                    "match {} is already {}; waiting for the other party",
                    self.id,
                    self.status.word()
                ),
            ));
        }
        Ok(match (accept, self.status, party) {
            (false, _, _) => Declined,
            (true, Proposed, Party::Requester) => AcceptedByRequester,
            (true, Proposed, Party::Provider) => AcceptedByProvider,
            (true, _, _) => Confirmed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_match_is_one_awaiting_an_answer_or_confirmed() {
        let mut awaiting_or_confirmed = MatchStatus::AWAITING_ANSWER.to_vec();
        awaiting_or_confirmed.push(MatchStatus::Confirmed);
        assert_eq!(MatchStatus::LIVE.to_vec(), awaiting_or_confirmed);
    }

    fn proposed() -> Match {
        Match {
            id: "match-1".into(),
            need_id: "need-1".into(),
            offer_id: "offer-1".into(),
            requester_id: "actor-1".into(),
            provider_id: "actor-2".into(),
            score: 0.5,
            explanation: Explanation::default(),
            status: MatchStatus::Proposed,
            responses: Vec::new(),
            outcome: None,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn both_acceptances_confirm_in_either_order() {
        let mut m = proposed();
        m.status = m.status_after_answer(Party::Provider, true).unwrap();
        assert_eq!(m.status, MatchStatus::AcceptedByProvider);
        assert!(m.status_after_answer(Party::Provider, true).is_err());
        assert_eq!(
            m.status_after_answer(Party::Requester, true),
            Ok(MatchStatus::Confirmed)
        );
        assert_eq!(
            m.status_after_answer(Party::Requester, false),
            Ok(MatchStatus::Declined)
        );
    }

    #[test]
    fn outcomes_move_trust_halfway_towards_what_they_earned() {
        let outcome = |rating| Outcome {
            reported_by: "actor-1".into(),
            rating,
            mgi_dimensions: Vec::new(),
            lessons_learned: String::new(),
            completed_at: 0,
        };
        assert_eq!(outcome(5).updated_trust(None), 0.95);
        assert!((outcome(1).updated_trust(Some(0.9)) - 0.5).abs() < 1e-12);
        assert!(outcome(5).updated_trust(Some(0.5)) > 0.5);
        assert!(outcome(6).validate().unwrap_err().to_string().starts_with("rating:"));
        assert!(!outcome(2).succeeded() && outcome(3).succeeded());
    }

    #[test]
    fn declining_a_confirmed_engagement_cancels_it() {
        let mut m = proposed();
        m.status = MatchStatus::Confirmed;
        assert_eq!(
            m.status_after_answer(Party::Provider, false),
            Ok(MatchStatus::Cancelled)
        );
        assert!(m.status_after_answer(Party::Provider, true).is_err());
    }

    #[test]
    fn closed_matches_take_no_answers() {
        let mut m = proposed();
        m.status = MatchStatus::Declined;
        let refusal = m.status_after_answer(Party::Requester, true).unwrap_err();
        assert!(refusal.words.contains("declined"), "{refusal}");
        assert_eq!(refusal.reason, Reason::AnswerNotExpected);
        assert_eq!(m.party("actor-3"), None);
    }
}
