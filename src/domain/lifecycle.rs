//! The state machines of needs, offers and matches, each defined once: which status may follow
//! which. Every status change in the hub goes through [`check_transition`], so a refused change
//! always says which transition was refused and why.

use std::fmt::Debug;

use super::UnixMillis;
use super::engagement::{Match, MatchStatus};
use super::need::{Need, NeedStatus};
use super::offer::{Offer, OfferStatus};
use super::refusal::{Reason, Refusal};

/// A record status with its allowed transitions.
pub trait Lifecycle: Copy + Eq + Debug {
    /// The kind of record, for messages ("need").
    const RECORD: &'static str;
    /// The status in words.
    fn word(self) -> &'static str;
    /// True when no transition leaves this status.
    fn is_final(self) -> bool;
    /// True when `self -> to` is a transition of the state machine.
    fn allows(self, to: Self) -> bool;
}

/// `Ok` when record `id` may go from `from` to `to`, or the refusal.
pub fn check_transition<S: Lifecycle>(id: &str, from: S, to: S) -> Result<(), Refusal> {
    let record = S::RECORD;
    let words = if from.allows(to) {
        return Ok(());
    } else if from == to {
        format!("{record} {id} is already {}", to.word())
    } else if from.is_final() {
        format!(
            "{record} {id} is {}, which is final; it cannot become {}",
            from.word(),
            to.word()
        )
    } else {
        format!("{record} {id} cannot go from {} to {}", from.word(), to.word())
    };
    Err(Refusal::new(Reason::StatusTransitionRefused, words))
}

/// A record with a status that follows a [`Lifecycle`].
pub trait Stateful: Clone {
    type Status: Lifecycle;
    fn id(&self) -> &str;
    fn status(&self) -> Self::Status;
    /// Sets the status and the update time, with no check: callers go through [`moved`].
    fn set_status(&mut self, status: Self::Status, now: UnixMillis);
}

/// A copy of `record` in status `to`, or why the state machine refuses it.
pub fn moved<R: Stateful>(record: &R, to: R::Status, now: UnixMillis) -> Result<R, Refusal> {
    check_transition(record.id(), record.status(), to)?;
    let mut next = record.clone();
    next.set_status(to, now);
    Ok(next)
}

macro_rules! stateful {
    ($record:ty, $status:ty) => {
        impl Stateful for $record {
            type Status = $status;

            fn id(&self) -> &str {
                &self.id
            }

            fn status(&self) -> $status {
                self.status
            }

            fn set_status(&mut self, status: $status, now: UnixMillis) {
                self.status = status;
                self.updated_at = now;
            }
        }
    };
}

stateful!(Need, NeedStatus);
stateful!(Offer, OfferStatus);
stateful!(Match, MatchStatus);

impl Lifecycle for NeedStatus {
    const RECORD: &'static str = "need";

    fn word(self) -> &'static str {
        NeedStatus::word(self)
    }

    fn is_final(self) -> bool {
        matches!(
            self,
            NeedStatus::Fulfilled | NeedStatus::Withdrawn | NeedStatus::Expired
        )
    }

    fn allows(self, to: Self) -> bool {
        use NeedStatus::*;
        match self {
            Open => matches!(to, Matched | Withdrawn | Expired),
            Matched | InProgress => matches!(to, InProgress | Fulfilled | Open | Withdrawn) && to != self,
            Fulfilled | Withdrawn | Expired => false,
        }
    }
}

impl Lifecycle for OfferStatus {
    const RECORD: &'static str = "offer";

    fn word(self) -> &'static str {
        OfferStatus::word(self)
    }

    fn is_final(self) -> bool {
        matches!(self, OfferStatus::Withdrawn | OfferStatus::Expired)
    }

    fn allows(self, to: Self) -> bool {
        use OfferStatus::*;
        !self.is_final() && to != self && matches!(to, Active | Paused | Exhausted | Withdrawn | Expired)
    }
}

impl Lifecycle for MatchStatus {
    const RECORD: &'static str = "match";

    fn word(self) -> &'static str {
        MatchStatus::word(self)
    }

    fn is_final(self) -> bool {
        matches!(
            self,
            MatchStatus::Declined | MatchStatus::Completed | MatchStatus::Cancelled | MatchStatus::Expired
        )
    }

    fn allows(self, to: Self) -> bool {
        use MatchStatus::*;
        match self {
            Proposed => matches!(
                to,
                AcceptedByRequester | AcceptedByProvider | Declined | Cancelled | Expired
            ),
            AcceptedByRequester | AcceptedByProvider => matches!(to, Confirmed | Declined | Cancelled | Expired),
            Confirmed => matches!(to, Completed | Cancelled),
            Declined | Completed | Cancelled | Expired => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every<S: Lifecycle>(all: &[S]) {
        for &from in all {
            if from.is_final() {
                assert!(
                    all.iter().all(|&to| !from.allows(to)),
                    "{from:?} is final but has a way out"
                );
            }
            assert!(!from.allows(from), "{from:?} -> itself is not a transition");
        }
    }

    #[test]
    fn final_statuses_have_no_way_out() {
        use MatchStatus::*;
        every(&[
            Proposed,
            AcceptedByRequester,
            AcceptedByProvider,
            Confirmed,
            Declined,
            Completed,
            Cancelled,
            Expired,
        ]);
        every(&[
            NeedStatus::Open,
            NeedStatus::Matched,
            NeedStatus::InProgress,
            NeedStatus::Fulfilled,
            NeedStatus::Withdrawn,
            NeedStatus::Expired,
        ]);
        every(&[
            OfferStatus::Active,
            OfferStatus::Paused,
            OfferStatus::Exhausted,
            OfferStatus::Withdrawn,
            OfferStatus::Expired,
        ]);
    }

    #[test]
    fn refusals_name_the_transition() {
        let refusal = check_transition("need-1", NeedStatus::Fulfilled, NeedStatus::Withdrawn).unwrap_err();
        assert_eq!(
            refusal.words,
            "need need-1 is fulfilled, which is final; it cannot become withdrawn"
        );
        assert_eq!(refusal.reason, Reason::StatusTransitionRefused);
        let refusal = check_transition("match-2", MatchStatus::Proposed, MatchStatus::Completed).unwrap_err();
        assert_eq!(refusal.words, "match match-2 cannot go from proposed to completed");
        assert!(check_transition("offer-3", OfferStatus::Exhausted, OfferStatus::Active).is_ok());
    }
}
