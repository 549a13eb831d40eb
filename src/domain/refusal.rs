//! Why the hub says no, for programs as well as people: every refusal carries a [`Reason`], a
//! stable name that clients act on without reading the words (the `reason` of the error's
//! `google.rpc.ErrorInfo`, AIP-193), beside the words themselves. The README lists them all.

use std::fmt;

/// Declares [`Reason`] from one list, so that [`Reason::ALL`] and [`Reason::name`] cannot miss
/// a variant.
macro_rules! reasons {
    ($($(#[doc = $doc:expr])* $variant:ident = $name:literal,)*) => {
        /// A stable, machine-readable name for why a call was refused. Names are never changed or
        /// reused: clients branch on them.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Reason {
            $($(#[doc = $doc])* $variant,)*
        }

        impl Reason {
            /// Every reason, in the README's order.
            pub const ALL: &'static [Reason] = &[$(Reason::$variant,)*];

            /// The stable name, in UPPER_SNAKE_CASE, as `ErrorInfo.reason` carries it.
            pub fn name(self) -> &'static str {
                match self {
                    $(Reason::$variant => $name,)*
                }
            }
        }
    };
}

reasons! {
    /// The request broke field rules; the details list each field and rule.
    FieldRulesBroken = "FIELD_RULES_BROKEN",
    /// A record the request names does not exist.
    NotFound = "NOT_FOUND",
    /// The call needs a token and came without one.
    TokenMissing = "TOKEN_MISSING",
    /// The token is unknown or malformed.
    TokenInvalid = "TOKEN_INVALID",
    /// The token's actor may not act for the actor the request names.
    NotYourRecord = "NOT_YOUR_RECORD",
    /// The token's actor is not a party to the match or pair.
    NotAParty = "NOT_A_PARTY",
    /// The call is for the admin.
    AdminOnly = "ADMIN_ONLY",
    /// The need is no longer open (matched for good, fulfilled, withdrawn, expired).
    NeedNotOpen = "NEED_NOT_OPEN",
    /// The offer has no place left.
    OfferExhausted = "OFFER_EXHAUSTED",
    /// The offer is paused, withdrawn or expired.
    OfferNotActive = "OFFER_NOT_ACTIVE",
    /// The offer is the requester's own.
    OwnOffer = "OWN_OFFER",
    /// The need and the offer share no GCM objective.
    NoSharedObjective = "NO_SHARED_OBJECTIVE",
    /// The need and the offer share no way of delivery.
    NoSharedModality = "NO_SHARED_MODALITY",
    /// The offer serves none of the need's countries.
    CountryNotServed = "COUNTRY_NOT_SERVED",
    /// The need's and the offer's time windows do not overlap.
    WindowsDoNotOverlap = "WINDOWS_DO_NOT_OVERLAP",
    /// A party declined the pair.
    PairDeclined = "PAIR_DECLINED",
    /// The offer's free places are all held by proposals awaiting answers.
    PlacesHeldByProposals = "PLACES_HELD_BY_PROPOSALS",
    /// The live matches of the need's region hold the offer's regional cap (allocation runs).
    RegionCapReached = "REGION_CAP_REACHED",
    /// A live match already pairs the need (with this offer, or from an allocation).
    MatchAlreadyLive = "MATCH_ALREADY_LIVE",
    /// The two actors already have this partnership.
    PartnershipExists = "PARTNERSHIP_EXISTS",
    /// The record's state machine does not allow the change.
    StatusTransitionRefused = "STATUS_TRANSITION_REFUSED",
    /// The match takes no more answers, or this party has answered already.
    AnswerNotExpected = "ANSWER_NOT_EXPECTED",
    /// The offer is withdrawn or expired and can no longer be edited.
    OfferClosed = "OFFER_CLOSED",
    /// Confirmed engagements hold more places than the new capacity.
    CapacityBelowConfirmed = "CAPACITY_BELOW_CONFIRMED",
    /// Only an open need or an active offer can be confirmed still current.
    ListingNotLive = "LISTING_NOT_LIVE",
    /// The practice is withdrawn.
    PracticeWithdrawn = "PRACTICE_WITHDRAWN",
    /// An allocation run would take more needs than one run may.
    RunTooLarge = "RUN_TOO_LARGE",
    /// A graph export would hold more partnerships than anyone but the admin may export at once.
    ExportTooLarge = "EXPORT_TOO_LARGE",
    /// The allocation run was given up by its caller.
    RunAbandoned = "RUN_ABANDONED",
    /// Too many calls are in flight; this one was shed at once. Retry later.
    HubOverloaded = "HUB_OVERLOADED",
    /// Too many watch streams are open; retry later.
    TooManyWatchers = "TOO_MANY_WATCHERS",
    /// The hub is shutting down.
    ShuttingDown = "SHUTTING_DOWN",
    /// The search index is being built; retry later.
    SearchIndexNotReady = "SEARCH_INDEX_NOT_READY",
    /// The search index is out of service; restarting the hub rebuilds it.
    SearchIndexFailed = "SEARCH_INDEX_FAILED",
    /// The pair changed while it was explained; ask again.
    PairChanged = "PAIR_CHANGED",
    /// The store could not save; the write may not have been saved, retry with the same request
    /// id.
    StoreUnavailable = "STORE_UNAVAILABLE",
    /// A fault inside the hub.
    Internal = "INTERNAL",
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A refusal: its reason, and the same in words for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// What a program branches on.
    pub reason: Reason,
    /// What a person reads.
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
