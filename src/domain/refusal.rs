//! Why the hub says no, for programs as well as people: every refusal carries a [`Reason`], a
//! stable name that clients act on without reading the words (the `reason` of the error's
//! `google.rpc.ErrorInfo`, AIP-193), beside the words themselves. The README lists them all.

use std::fmt;

/// A stable, machine-readable name for why a call was refused. Names are never changed or
/// reused: clients branch on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// The request broke field rules; the details list each field and rule.
    FieldRulesBroken,
    /// A record the request names does not exist.
    NotFound,
    /// The call needs a token and came without one.
    TokenMissing,
    /// The token is unknown or malformed.
    TokenInvalid,
    /// The token's actor may not act for the actor the request names.
    NotYourRecord,
    /// The token's actor is not a party to the match or pair.
    NotAParty,
    /// The call is for the admin.
    AdminOnly,
    /// The need is no longer open (matched for good, fulfilled, withdrawn, expired).
    NeedNotOpen,
    /// The offer has no place left.
    OfferExhausted,
    /// The offer is withdrawn or expired.
    OfferNotActive,
    /// The offer is the requester's own.
    OwnOffer,
    /// The need and the offer share no GCM objective.
    NoSharedObjective,
    /// The need and the offer share no way of delivery.
    NoSharedModality,
    /// The offer serves none of the need's countries.
    CountryNotServed,
    /// The need's and the offer's time windows do not overlap.
    WindowsDoNotOverlap,
    /// A party declined the pair.
    PairDeclined,
    /// The offer's free places are all held by proposals awaiting answers.
    PlacesHeldByProposals,
    /// A live match already pairs the need (with this offer, or from an allocation).
    MatchAlreadyLive,
    /// The two actors already have this partnership.
    PartnershipExists,
    /// The record's state machine does not allow the change.
    StatusTransitionRefused,
    /// The match takes no more answers, or this party has answered already.
    AnswerNotExpected,
    /// The offer is withdrawn or expired and can no longer be edited.
    OfferClosed,
    /// Confirmed engagements hold more places than the new capacity.
    CapacityBelowConfirmed,
    /// Only an open need or an active offer can be confirmed still current.
    ListingNotLive,
    /// The practice is withdrawn.
    PracticeWithdrawn,
    /// An allocation run would take more needs than one run may.
    RunTooLarge,
    /// The allocation run was given up by its caller.
    RunAbandoned,
    /// Too many watch streams are open; retry later.
    TooManyWatchers,
    /// The hub is shutting down.
    ShuttingDown,
    /// The search index is being built; retry later.
    SearchIndexNotReady,
    /// The pair changed while it was explained; ask again.
    PairChanged,
    /// The store could not save or read; the write may not have been saved, retry with the same
    /// request id.
    StoreUnavailable,
    /// A fault inside the hub.
    Internal,
}

impl Reason {
    /// Every reason, in the README's order.
    pub const ALL: [Reason; 33] = [
        Reason::FieldRulesBroken,
        Reason::NotFound,
        Reason::TokenMissing,
        Reason::TokenInvalid,
        Reason::NotYourRecord,
        Reason::NotAParty,
        Reason::AdminOnly,
        Reason::NeedNotOpen,
        Reason::OfferExhausted,
        Reason::OfferNotActive,
        Reason::OwnOffer,
        Reason::NoSharedObjective,
        Reason::NoSharedModality,
        Reason::CountryNotServed,
        Reason::WindowsDoNotOverlap,
        Reason::PairDeclined,
        Reason::PlacesHeldByProposals,
        Reason::MatchAlreadyLive,
        Reason::PartnershipExists,
        Reason::StatusTransitionRefused,
        Reason::AnswerNotExpected,
        Reason::OfferClosed,
        Reason::CapacityBelowConfirmed,
        Reason::ListingNotLive,
        Reason::PracticeWithdrawn,
        Reason::RunTooLarge,
        Reason::RunAbandoned,
        Reason::TooManyWatchers,
        Reason::ShuttingDown,
        Reason::SearchIndexNotReady,
        Reason::PairChanged,
        Reason::StoreUnavailable,
        Reason::Internal,
    ];

    /// The stable name, in UPPER_SNAKE_CASE, as `ErrorInfo.reason` carries it.
    pub fn name(self) -> &'static str {
        match self {
            Reason::FieldRulesBroken => "FIELD_RULES_BROKEN",
            Reason::NotFound => "NOT_FOUND",
            Reason::TokenMissing => "TOKEN_MISSING",
            Reason::TokenInvalid => "TOKEN_INVALID",
            Reason::NotYourRecord => "NOT_YOUR_RECORD",
            Reason::NotAParty => "NOT_A_PARTY",
            Reason::AdminOnly => "ADMIN_ONLY",
            Reason::NeedNotOpen => "NEED_NOT_OPEN",
            Reason::OfferExhausted => "OFFER_EXHAUSTED",
            Reason::OfferNotActive => "OFFER_NOT_ACTIVE",
            Reason::OwnOffer => "OWN_OFFER",
            Reason::NoSharedObjective => "NO_SHARED_OBJECTIVE",
            Reason::NoSharedModality => "NO_SHARED_MODALITY",
            Reason::CountryNotServed => "COUNTRY_NOT_SERVED",
            Reason::WindowsDoNotOverlap => "WINDOWS_DO_NOT_OVERLAP",
            Reason::PairDeclined => "PAIR_DECLINED",
            Reason::PlacesHeldByProposals => "PLACES_HELD_BY_PROPOSALS",
            Reason::MatchAlreadyLive => "MATCH_ALREADY_LIVE",
            Reason::PartnershipExists => "PARTNERSHIP_EXISTS",
            Reason::StatusTransitionRefused => "STATUS_TRANSITION_REFUSED",
            Reason::AnswerNotExpected => "ANSWER_NOT_EXPECTED",
            Reason::OfferClosed => "OFFER_CLOSED",
            Reason::CapacityBelowConfirmed => "CAPACITY_BELOW_CONFIRMED",
            Reason::ListingNotLive => "LISTING_NOT_LIVE",
            Reason::PracticeWithdrawn => "PRACTICE_WITHDRAWN",
            Reason::RunTooLarge => "RUN_TOO_LARGE",
            Reason::RunAbandoned => "RUN_ABANDONED",
            Reason::TooManyWatchers => "TOO_MANY_WATCHERS",
            Reason::ShuttingDown => "SHUTTING_DOWN",
            Reason::SearchIndexNotReady => "SEARCH_INDEX_NOT_READY",
            Reason::PairChanged => "PAIR_CHANGED",
            Reason::StoreUnavailable => "STORE_UNAVAILABLE",
            Reason::Internal => "INTERNAL",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A refusal: its reason, and the same in words for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub reason: Reason,
    pub words: String,
}

impl Refusal {
    /// `reason`, said with `words`.
    pub fn new(reason: Reason, words: impl Into<String>) -> Refusal {
        Refusal {
            reason,
            words: words.into(),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.words)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn the_readme_lists_every_reason() {
        let readme = include_str!("../../README.md");
        for reason in Reason::ALL {
            assert!(
                readme.contains(&format!("| `{}` |", reason.name())),
                "README's error table does not list {reason}"
            );
        }
    }

    #[test]
    fn every_reason_has_its_own_upper_snake_case_name() {
        let names: HashSet<&str> = Reason::ALL.iter().map(|reason| reason.name()).collect();
        assert_eq!(names.len(), Reason::ALL.len(), "two reasons share a name");
        for name in names {
            assert!(
                !name.is_empty() && name.chars().all(|c| c.is_ascii_uppercase() || c == '_'),
                "{name} is not UPPER_SNAKE_CASE"
            );
        }
    }
}
