//! Property test of the lifecycle against a model. Random sequences of operations (submit needs,
//! register offers, propose, answer as either party or as a stranger, complete, withdraw, edit a
//! need or an offer's capacity, confirm listings still current, decline or clear a pair, let days
//! pass) run through the hub, some of them on records that do not exist or with broken fields.
//! A small model of the README's rules ("The match lifecycle", "Living over time", the state
//! machines of `src/domain/lifecycle.rs` and who may answer or complete) predicts each
//! operation's result: success, or the gRPC code and the AIP-193 reason it must be refused
//! with (and the field named, for INVALID_ARGUMENT and NOT_FOUND). Errors are turned into
//! statuses by the server's own mapping (`impl From<HubError> for Status`) and read with the
//! harness's `readable_details`, as a client would. After every operation the hub's needs,
//! offers (remaining capacity included) and matches (answers and outcome included) must equal
//! the model's; at the end every filtered List, every Get and the event log (each operation's
//! events, by kind and record) must too.
//!
//! The hub is driven directly rather than over a socket so that days can pass under tokio's
//! paused clock (the hub's time follows it): expiry of windows and proposals is part of the
//! model.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use capacity_hub::domain::{
    ActorKind, ActorProfile, Coverage, DateWindow, EventKind, HubEvent, Level, MatchStatus, Modality, NeedSpec,
    NeedStatus, Objective, OfferSpec, OfferStatus, Preference, Urgency,
};
use capacity_hub::hub::{
    Delivery, Hub, HubError, HubSettings, MatchFilter, NeedFilter, OfferFilter, OutcomeReport, PageRequest,
    PreferenceChange,
};
use chrono::NaiveDate;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use tonic::{Code, Status};

/// Actors 0..ACTORS exist; index ACTORS names one the hub never registered.
const ACTORS: usize = 4;
const PROPOSAL_TTL_DAYS: u64 = 5;
/// A need's window ends this many days after the day it is submitted.
const NEED_WINDOW_DAYS: u64 = 16;
/// An offer's window ends this many days after the day it is registered.
const OFFER_WINDOW_DAYS: u64 = 24;
/// A late offer starts this many days after registration: after the window of every need
/// submitted from two days before it on.
const LATE_START_DAYS: u64 = 19;
const LATE_END_DAYS: u64 = 40;
const DAY_SECS: u64 = 24 * 3600;
/// Every offer serves this M49 region: Guatemala is in it, Sierra Leone is not.
const SERVED_REGION: &str = "americas";
const SERVED_COUNTRY: &str = "GTM";
const UNSERVED_COUNTRY: &str = "SLE";

fn days(n: u64) -> Duration {
    Duration::from_secs(n * DAY_SECS)
}

// ---- operations ------------------------------------------------------------------------------

/// Who acts on a match or a pair.
#[derive(Debug, Clone, Copy)]
enum Who {
    /// The party whose answer is awaited (the requester while both answers are, or none is).
    Turn,
    Requester,
    Provider,
    /// An actor who is neither the requester nor the provider.
    Stranger,
}

/// Which matches an answer picks from.
#[derive(Debug, Clone, Copy)]
enum Among {
    Awaiting,
    Confirmed,
    All,
}

/// Records are named by an index into those the model knows (see [`pick`]).
#[derive(Debug, Clone)]
enum Operation {
    SubmitNeed {
        requester: usize,
        theme: u32,
        modality: Modality,
        abroad: bool,
        untitled: bool,
    },
    RegisterOffer {
        provider: usize,
        theme: u32,
        modality: Modality,
        capacity: u32,
        late: bool,
    },
    Propose {
        need: usize,
        offer: usize,
        /// Pick among the live needs and the offers that share their objective and modality
        /// (when there are any), so that engagements happen; otherwise any two records.
        guided: bool,
    },
    Answer {
        of: usize,
        /// Which matches to pick from (when there are any such; else from all).
        among: Among,
        who: Who,
        accept: bool,
    },
    Complete {
        of: usize,
        confirmed_only: bool,
        who: Who,
        rating: u32,
    },
    WithdrawNeed {
        need: usize,
    },
    WithdrawOffer {
        offer: usize,
    },
    SetCapacity {
        offer: usize,
        capacity: u32,
        /// Pick the live offer with most confirmed engagements, when there is one, and set its
        /// capacity to what they hold plus `capacity`, less 2 (one below, at or above it).
        guided: bool,
    },
    RetitleNeed {
        need: usize,
        untitled: bool,
    },
    ConfirmNeed {
        need: usize,
    },
    ConfirmOffer {
        offer: usize,
    },
    Mark {
        need: usize,
        offer: usize,
        who: Who,
        decline: bool,
        /// As for [`Operation::Propose`].
        guided: bool,
    },
    LetDaysPass {
        days: u64,
    },
}

fn actor_index() -> impl Strategy<Value = usize> {
    prop_oneof![12 => 0..ACTORS, 1 => Just(ACTORS)]
}

/// GCM objective 13 mostly, 14 sometimes: pairs that share no objective are refused.
fn theme() -> impl Strategy<Value = u32> {
    prop_oneof![4 => Just(13u32), 1 => Just(14u32)]
}

/// 1 to 3 places; 0 (a broken field) now and then.
fn capacity() -> impl Strategy<Value = u32> {
    prop_oneof![10 => 1u32..4, 1 => Just(0u32)]
}

fn modality() -> impl Strategy<Value = Modality> {
    prop_oneof![5 => Just(Modality::Training), 1 => Just(Modality::TechnicalAdvice)]
}

fn who() -> impl Strategy<Value = Who> {
    prop_oneof![10 => Just(Who::Turn), 1 => Just(Who::Requester), 1 => Just(Who::Provider), 1 => Just(Who::Stranger)]
}

/// What every run starts with: a few needs and offers, so that the operations after them have
/// records to work on.
fn setup() -> impl Strategy<Value = Operation> {
    prop_oneof![
        (0..ACTORS, theme(), modality()).prop_map(|(requester, theme, modality)| Operation::SubmitNeed {
            requester,
            theme,
            modality,
            abroad: false,
            untitled: false
        }),
        (0..ACTORS, theme(), modality(), 2u32..4).prop_map(|(provider, theme, modality, capacity)| {
            Operation::RegisterOffer {
                provider,
                theme,
                modality,
                capacity,
                late: false,
            }
        }),
    ]
}

/// A run: a few needs and offers, then `random` random operations.
fn operations(random: std::ops::Range<usize>) -> impl Strategy<Value = Vec<Operation>> {
    let setup = prop::collection::vec(setup(), 2..8);
    (setup, prop::collection::vec(operation(), random)).prop_map(|(mut run, rest)| {
        run.extend(rest);
        run
    })
}

fn among() -> impl Strategy<Value = Among> {
    prop_oneof![8 => Just(Among::Awaiting), 1 => Just(Among::Confirmed), 1 => Just(Among::All)]
}

fn record_index() -> impl Strategy<Value = usize> {
    0..64usize
}

fn operation() -> impl Strategy<Value = Operation> {
    // Weighted so that engagements often get as far as confirmation and completion.
    prop_oneof![
        3 => (actor_index(), theme(), modality(), prop::bool::weighted(0.15), prop::bool::weighted(0.05)).prop_map(
            |(requester, theme, modality, abroad, untitled)| Operation::SubmitNeed {
                requester,
                theme,
                modality,
                abroad,
                untitled
            }
        ),
        3 => (actor_index(), theme(), modality(), capacity(), prop::bool::weighted(0.15)).prop_map(
            |(provider, theme, modality, capacity, late)| Operation::RegisterOffer {
                provider,
                theme,
                modality,
                capacity,
                late
            }
        ),
        8 => (record_index(), record_index(), prop::bool::weighted(0.8))
            .prop_map(|(need, offer, guided)| Operation::Propose { need, offer, guided }),
        12 => (record_index(), among(), who(), prop::bool::weighted(0.85)).prop_map(
            |(of, among, who, accept)| Operation::Answer {
                of,
                among,
                who,
                accept
            }
        ),
        3 => (
            record_index(),
            prop::bool::weighted(0.85),
            who(),
            prop_oneof![10 => 1u32..=5, 1 => Just(0u32), 1 => Just(6u32)]
        )
            .prop_map(|(of, confirmed_only, who, rating)| Operation::Complete {
                of,
                confirmed_only,
                who,
                rating
            }),
        1 => record_index().prop_map(|need| Operation::WithdrawNeed { need }),
        1 => record_index().prop_map(|offer| Operation::WithdrawOffer { offer }),
        2 => (record_index(), 1u32..4).prop_map(|(offer, capacity)| Operation::SetCapacity {
            offer,
            capacity,
            guided: true
        }),
        1 => (record_index(), capacity()).prop_map(|(offer, capacity)| Operation::SetCapacity {
            offer,
            capacity,
            guided: false
        }),
        1 => (record_index(), any::<bool>()).prop_map(|(need, untitled)| Operation::RetitleNeed { need, untitled }),
        1 => record_index().prop_map(|need| Operation::ConfirmNeed { need }),
        1 => record_index().prop_map(|offer| Operation::ConfirmOffer { offer }),
        1 => (record_index(), record_index(), who(), prop::bool::weighted(0.7), prop::bool::weighted(0.8)).prop_map(
            |(need, offer, who, decline, guided)| Operation::Mark {
                need,
                offer,
                who,
                decline,
                guided
            }
        ),
        2 => (1u64..10).prop_map(|days| Operation::LetDaysPass { days }),
    ]
}

/// The record at `index` among `len` known ones; `None` (an id the hub never gave out) one
/// time in sixteen, and always when there are none.
fn pick(len: usize, index: usize) -> Option<usize> {
    (len > 0 && index % 16 != 15).then(|| index % len)
}

// ---- what an operation must do ---------------------------------------------------------------

/// Success, or the refusal the hub must answer with.
#[derive(Debug, Clone, PartialEq)]
enum Expected {
    Done,
    Refused {
        code: Code,
        /// `ErrorInfo.reason`.
        reason: &'static str,
        /// The field a BadRequest violation (INVALID_ARGUMENT) or the ErrorInfo metadata
        /// (NOT_FOUND) names.
        field: Option<&'static str>,
    },
}

fn not_found(field: &'static str) -> Expected {
    Expected::Refused {
        code: Code::NotFound,
        reason: "NOT_FOUND",
        field: Some(field),
    }
}

fn invalid(field: &'static str) -> Expected {
    Expected::Refused {
        code: Code::InvalidArgument,
        reason: "FIELD_RULES_BROKEN",
        field: Some(field),
    }
}

fn precondition(reason: &'static str) -> Expected {
    Expected::Refused {
        code: Code::FailedPrecondition,
        reason,
        field: None,
    }
}

fn already_exists(reason: &'static str) -> Expected {
    Expected::Refused {
        code: Code::AlreadyExists,
        reason,
        field: None,
    }
}

/// Checks the hub's answer against the prediction, reading an error as a gRPC client would:
/// through the server's mapping to a status and its details. Returns the record on success.
fn check_result<T>(what: &str, expected: &Expected, result: Result<T, HubError>) -> Result<Option<T>, TestCaseError> {
    let status = match (expected, result) {
        (Expected::Done, Ok(value)) => return Ok(Some(value)),
        (Expected::Done, Err(error)) => {
            let status = Status::from(error);
            return Err(TestCaseError::fail(format!(
                "{what}: expected success, got {:?} {} ({})",
                status.code(),
                common::reason_of(&status),
                status.message()
            )));
        }
        (Expected::Refused { .. }, Ok(_)) => {
            return Err(TestCaseError::fail(format!(
                "{what}: expected {expected:?}, got success"
            )));
        }
        (Expected::Refused { .. }, Err(error)) => Status::from(error),
    };
    let Expected::Refused { code, reason, field } = expected else {
        unreachable!()
    };
    let got = (status.code(), common::reason_of(&status));
    prop_assert_eq!(
        (got.0, got.1.as_str()),
        (*code, *reason),
        "{}: expected {:?}, got {:?}",
        what,
        expected,
        status.message()
    );
    if let Err(problem) = common::readable_details(&status, field.unwrap_or("")) {
        return Err(TestCaseError::fail(format!("{what}: {problem}")));
    }
    if let Some(field) = field {
        use tonic_types::StatusExt;
        let named = match code {
            Code::InvalidArgument => status
                .get_details_bad_request()
                .is_some_and(|bad| bad.field_violations.iter().any(|v| v.field == *field)),
            _ => status
                .get_details_error_info()
                .is_some_and(|info| info.metadata.get("field").map(String::as_str) == Some(*field)),
        };
        prop_assert!(named, "{}: the details do not name field {}: {:?}", what, field, status);
    }
    Ok(None)
}

// ---- the model -------------------------------------------------------------------------------

/// The need state machine as the README gives it: open -> matched | withdrawn | expired;
/// matched, in progress -> in progress | fulfilled | open | withdrawn; the rest final.
fn need_allows(from: NeedStatus, to: NeedStatus) -> bool {
    use NeedStatus::*;
    match from {
        Open => matches!(to, Matched | Withdrawn | Expired),
        Matched | InProgress => from != to && matches!(to, InProgress | Fulfilled | Open | Withdrawn),
        Fulfilled | Withdrawn | Expired => false,
    }
}

fn need_is_final(status: NeedStatus) -> bool {
    matches!(
        status,
        NeedStatus::Fulfilled | NeedStatus::Withdrawn | NeedStatus::Expired
    )
}

fn offer_is_final(status: OfferStatus) -> bool {
    matches!(status, OfferStatus::Withdrawn | OfferStatus::Expired)
}

fn awaits_answer(status: MatchStatus) -> bool {
    matches!(
        status,
        MatchStatus::Proposed | MatchStatus::AcceptedByRequester | MatchStatus::AcceptedByProvider
    )
}

/// Two windows share at least one day (an open end runs for ever).
fn overlap(a: &DateWindow, b: &DateWindow) -> bool {
    let before = |start: Option<NaiveDate>, end: Option<NaiveDate>| match (start, end) {
        (Some(start), Some(end)) => start <= end,
        _ => true,
    };
    before(a.start, b.end) && before(b.start, a.end)
}

#[derive(Debug, Clone)]
struct ModelNeed {
    id: String,
    requester: usize,
    theme: u32,
    modality: Modality,
    country: &'static str,
    window: DateWindow,
    title: String,
    status: NeedStatus,
}

#[derive(Debug, Clone)]
struct ModelOffer {
    id: String,
    provider: usize,
    theme: u32,
    modality: Modality,
    window: DateWindow,
    capacity: u32,
    status: OfferStatus,
}

#[derive(Debug, Clone)]
struct ModelMatch {
    id: String,
    need: usize,
    offer: usize,
    status: MatchStatus,
    created_at: i64,
    /// Each answer: the actor who gave it and whether it accepted.
    responses: Vec<(usize, bool)>,
    rating: Option<u32>,
}

/// An event as the model predicts it: kind, need, offer and match ids.
type EventKey = (String, Option<String>, Option<String>, Option<String>);

fn event_key(event: &HubEvent) -> EventKey {
    (
        format!("{:?}", event.kind),
        event.need_id.clone(),
        event.offer_id.clone(),
        event.match_id.clone(),
    )
}

#[derive(Debug, Default)]
struct Model {
    actors: Vec<String>,
    needs: Vec<ModelNeed>,
    offers: Vec<ModelOffer>,
    matches: Vec<ModelMatch>,
    /// (need, offer, actor) of each DECLINED mark in force.
    declined: BTreeSet<(usize, usize, usize)>,
    /// The events the operation being run must append.
    events: Vec<EventKey>,
}

impl Model {
    fn requester_of(&self, m: usize) -> usize {
        self.needs[self.matches[m].need].requester
    }

    fn provider_of(&self, m: usize) -> usize {
        self.offers[self.matches[m].offer].provider
    }

    /// Places the offer's confirmed engagements hold.
    fn reserved(&self, offer: usize) -> u32 {
        self.matches
            .iter()
            .filter(|m| m.offer == offer && m.status == MatchStatus::Confirmed)
            .count() as u32
    }

    fn remaining(&self, offer: usize) -> u32 {
        self.offers[offer].capacity.saturating_sub(self.reserved(offer))
    }

    fn available(&self, offer: usize) -> bool {
        self.offers[offer].status == OfferStatus::Active && self.remaining(offer) > 0
    }

    /// Why an offer that is not available cannot take an engagement.
    fn unavailable(&self, offer: usize) -> Expected {
        match self.offers[offer].status {
            OfferStatus::Active | OfferStatus::Exhausted => precondition("OFFER_EXHAUSTED"),
            _ => precondition("OFFER_NOT_ACTIVE"),
        }
    }

    fn emit(&mut self, kind: EventKind, need: Option<usize>, offer: Option<usize>, m: Option<usize>) {
        let key = (
            format!("{kind:?}"),
            need.map(|n| self.needs[n].id.clone()),
            offer.map(|o| self.offers[o].id.clone()),
            m.map(|m| self.matches[m].id.clone()),
        );
        self.events.push(key);
    }

    fn emit_match(&mut self, kind: EventKind, m: usize) {
        let (need, offer) = (self.matches[m].need, self.matches[m].offer);
        self.emit(kind, Some(need), Some(offer), Some(m));
    }

    /// Cancels every match still awaiting an answer that `of` selects.
    fn cancel_pending(&mut self, of: impl Fn(&ModelMatch) -> bool) {
        for m in 0..self.matches.len() {
            if awaits_answer(self.matches[m].status) && of(&self.matches[m]) {
                self.matches[m].status = MatchStatus::Cancelled;
                self.emit_match(EventKind::MatchCancelled, m);
            }
        }
    }

    /// The need after engagement `m` ended (it is no longer confirmed): fulfilled when it
    /// succeeded, open again when it failed and no other confirmed engagement serves it; a
    /// final need stays as it is. A fulfilled need's proposals are cancelled.
    fn settle(&mut self, m: usize, succeeded: bool) {
        let need = self.matches[m].need;
        let before = self.needs[need].status;
        let other_confirmed = self
            .matches
            .iter()
            .enumerate()
            .any(|(i, other)| i != m && other.need == need && other.status == MatchStatus::Confirmed);
        let after = if succeeded {
            NeedStatus::Fulfilled
        } else if before == NeedStatus::Matched && !other_confirmed {
            NeedStatus::Open
        } else {
            before
        };
        if need_allows(before, after) {
            self.needs[need].status = after;
        }
        if after == NeedStatus::Fulfilled {
            self.cancel_pending(|other| other.need == need);
        }
    }

    /// An engagement's place comes back to its offer (the match has left CONFIRMED already).
    fn release(&mut self, m: usize) {
        let offer = self.matches[m].offer;
        if self.offers[offer].status == OfferStatus::Exhausted {
            self.offers[offer].status = OfferStatus::Active;
        }
    }

    fn propose(&self, need: usize, offer: usize) -> Expected {
        let (n, o) = (&self.needs[need], &self.offers[offer]);
        if need_is_final(n.status) {
            return precondition("NEED_NOT_OPEN");
        }
        // The hard filters, in the README's order.
        if !self.available(offer) {
            return self.unavailable(offer);
        }
        if o.provider == n.requester {
            return precondition("OWN_OFFER");
        }
        if o.theme != n.theme {
            return precondition("NO_SHARED_OBJECTIVE");
        }
        if o.modality != n.modality {
            return precondition("NO_SHARED_MODALITY");
        }
        if n.country != SERVED_COUNTRY {
            return precondition("COUNTRY_NOT_SERVED");
        }
        if !overlap(&n.window, &o.window) {
            return precondition("WINDOWS_DO_NOT_OVERLAP");
        }
        if self.declined.iter().any(|&(dn, d_o, _)| (dn, d_o) == (need, offer)) {
            return precondition("PAIR_DECLINED");
        }
        let live = self.matches.iter().any(|m| {
            m.need == need && m.offer == offer && (awaits_answer(m.status) || m.status == MatchStatus::Confirmed)
        });
        if live {
            return already_exists("MATCH_ALREADY_LIVE");
        }
        Expected::Done
    }

    fn answer(&mut self, m: usize, actor: usize, accept: bool) -> Expected {
        use MatchStatus::*;
        let (need, offer) = (self.matches[m].need, self.matches[m].offer);
        let requester = actor == self.requester_of(m);
        if !requester && actor != self.provider_of(m) {
            return invalid("actor_id");
        }
        let status = self.matches[m].status;
        let after = match (status, requester, accept) {
            (Confirmed, _, false) => Cancelled,
            (AcceptedByRequester, true, _) | (AcceptedByProvider, false, _) => {
                return precondition("ANSWER_NOT_EXPECTED");
            }
            (status, _, _) if !awaits_answer(status) => return precondition("ANSWER_NOT_EXPECTED"),
            (_, _, false) => Declined,
            (Proposed, true, true) => AcceptedByRequester,
            (Proposed, false, true) => AcceptedByProvider,
            (_, _, true) => Confirmed,
        };
        if after == Confirmed {
            if !self.available(offer) {
                return self.unavailable(offer);
            }
            if need_is_final(self.needs[need].status) {
                return precondition("NEED_NOT_OPEN");
            }
        }
        self.matches[m].status = after;
        self.matches[m].responses.push((actor, accept));
        match after {
            Confirmed => {
                if self.remaining(offer) == 0 {
                    self.offers[offer].status = OfferStatus::Exhausted;
                }
                if self.needs[need].status == NeedStatus::Open {
                    self.needs[need].status = NeedStatus::Matched;
                }
                self.emit_match(EventKind::MatchConfirmed, m);
            }
            Cancelled => {
                self.release(m);
                self.settle(m, false);
                self.emit_match(EventKind::MatchCancelled, m);
            }
            Declined => self.emit_match(EventKind::MatchDeclined, m),
            _ => self.emit_match(EventKind::MatchAccepted, m),
        }
        Expected::Done
    }

    /// Only the requester reports an outcome, only of a confirmed engagement.
    fn complete(&mut self, m: usize, actor: usize, rating: u32) -> Expected {
        if actor != self.requester_of(m) {
            return invalid("actor_id");
        }
        if self.matches[m].status != MatchStatus::Confirmed {
            return precondition("STATUS_TRANSITION_REFUSED");
        }
        self.matches[m].status = MatchStatus::Completed;
        self.matches[m].rating = Some(rating);
        self.release(m);
        self.settle(m, rating >= 3);
        self.emit_match(EventKind::MatchCompleted, m);
        Expected::Done
    }

    fn withdraw_need(&mut self, need: usize) -> Expected {
        if !need_allows(self.needs[need].status, NeedStatus::Withdrawn) {
            return precondition("STATUS_TRANSITION_REFUSED");
        }
        self.needs[need].status = NeedStatus::Withdrawn;
        self.emit(EventKind::NeedWithdrawn, Some(need), None, None);
        self.cancel_pending(|m| m.need == need);
        Expected::Done
    }

    fn withdraw_offer(&mut self, offer: usize) -> Expected {
        if offer_is_final(self.offers[offer].status) {
            return precondition("STATUS_TRANSITION_REFUSED");
        }
        self.offers[offer].status = OfferStatus::Withdrawn;
        self.emit(EventKind::OfferWithdrawn, None, Some(offer), None);
        self.cancel_pending(|m| m.offer == offer);
        Expected::Done
    }

    fn set_capacity(&mut self, offer: usize, capacity: u32) -> Expected {
        if offer_is_final(self.offers[offer].status) {
            return precondition("OFFER_CLOSED");
        }
        if capacity == 0 {
            return invalid("offer.capacity");
        }
        if capacity < self.reserved(offer) {
            return precondition("CAPACITY_BELOW_CONFIRMED");
        }
        self.offers[offer].capacity = capacity;
        if matches!(self.offers[offer].status, OfferStatus::Active | OfferStatus::Exhausted) {
            self.offers[offer].status = match self.remaining(offer) {
                0 => OfferStatus::Exhausted,
                _ => OfferStatus::Active,
            };
        }
        Expected::Done
    }

    fn mark(&mut self, need: usize, offer: usize, actor: usize, decline: bool) -> Expected {
        if actor != self.needs[need].requester && actor != self.offers[offer].provider {
            return invalid("actor_id");
        }
        let changed = if decline {
            self.declined.insert((need, offer, actor))
        } else {
            self.declined.remove(&(need, offer, actor))
        };
        if changed {
            self.emit(EventKind::PreferenceSet, Some(need), Some(offer), None);
        }
        Expected::Done
    }

    /// The sweep at `now`: open needs and live offers whose window ended before today expire
    /// (their proposals cancelled), then proposals older than the time-to-live. Returns how many
    /// needs, offers and proposals expired.
    fn expire(&mut self, now: i64) -> (usize, usize, usize) {
        let today = date_of(now);
        let ended = |window: &DateWindow| window.end.is_some_and(|end| end < today);
        let mut counts = (0, 0, 0);
        for need in 0..self.needs.len() {
            if self.needs[need].status == NeedStatus::Open && ended(&self.needs[need].window) {
                self.needs[need].status = NeedStatus::Expired;
                self.emit(EventKind::NeedExpired, Some(need), None, None);
                self.cancel_pending(|m| m.need == need);
                counts.0 += 1;
            }
        }
        for offer in 0..self.offers.len() {
            if !offer_is_final(self.offers[offer].status) && ended(&self.offers[offer].window) {
                self.offers[offer].status = OfferStatus::Expired;
                self.emit(EventKind::OfferExpired, None, Some(offer), None);
                self.cancel_pending(|m| m.offer == offer);
                counts.1 += 1;
            }
        }
        let ttl = (PROPOSAL_TTL_DAYS * DAY_SECS * 1000) as i64;
        for m in 0..self.matches.len() {
            if awaits_answer(self.matches[m].status) && self.matches[m].created_at + ttl <= now {
                self.matches[m].status = MatchStatus::Expired;
                self.emit_match(EventKind::MatchExpired, m);
                counts.2 += 1;
            }
        }
        counts
    }
}

fn date_of(millis: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp_millis(millis).unwrap().date_naive()
}

// ---- the hub under test ----------------------------------------------------------------------

/// One operation's events: how many the log must have gained, and which.
struct Step {
    operation: String,
    events: Vec<EventKey>,
}

struct World {
    hub: Arc<Hub>,
    model: Model,
    steps: Vec<Step>,
    /// How often each outcome (a refusal's reason, or DONE) and each event kind was predicted.
    reached: HashMap<String, usize>,
}

const UNKNOWN_ACTOR: &str = "actor-999999";
const UNKNOWN_NEED: &str = "need-999999";
const UNKNOWN_OFFER: &str = "offer-999999";
const UNKNOWN_MATCH: &str = "match-999999";

impl World {
    async fn new(dir: &std::path::Path) -> World {
        let settings = HubSettings {
            proposal_ttl: days(PROPOSAL_TTL_DAYS),
            // Nothing goes stale within a run: staleness is no status, and STALE events are
            // not what this test models.
            stale_after_days: 100_000,
            ..HubSettings::default()
        };
        let hub = Arc::new(Hub::open(dir, settings).unwrap());
        let mut model = Model::default();
        for (name, country) in [
            ("Guatemala", "GTM"),
            ("Costa Rica", "CRI"),
            ("Mexico", "MEX"),
            ("Honduras", "HND"),
        ] {
            let profile = ActorProfile {
                name: name.into(),
                kind: ActorKind::NationalGovernment,
                country: Some(country.into()),
                languages: vec!["es".into()],
                description: String::new(),
                contact: String::new(),
            };
            model.actors.push(hub.register_actor(profile, "").await.unwrap().0.id);
        }
        World {
            hub,
            model,
            steps: Vec::new(),
            reached: HashMap::new(),
        }
    }

    /// Checks a result against the prediction (see [`check_result`]), counting the outcome, on
    /// its own and per kind of operation ("Propose OWN_OFFER").
    fn verdict<T>(
        &mut self,
        what: &str,
        expected: &Expected,
        result: Result<T, HubError>,
    ) -> Result<Option<T>, TestCaseError> {
        let outcome = match expected {
            Expected::Done => "DONE",
            Expected::Refused { reason, .. } => reason,
        };
        *self.reached.entry(outcome.to_string()).or_default() += 1;
        *self
            .reached
            .entry(format!("{} {outcome}", what.split(' ').next().unwrap()))
            .or_default() += 1;
        check_result(what, expected, result)
    }

    fn today(&self) -> NaiveDate {
        date_of(self.hub.now())
    }

    fn actor_id(&self, actor: usize) -> String {
        self.model.actors.get(actor).map_or(UNKNOWN_ACTOR.into(), Clone::clone)
    }

    /// The actor who acts as `who` on match `m`.
    fn actor_on(&self, m: usize, who: Who) -> usize {
        let (requester, provider) = (self.model.requester_of(m), self.model.provider_of(m));
        match who {
            Who::Turn => match self.model.matches[m].status {
                MatchStatus::AcceptedByRequester => provider,
                _ => requester,
            },
            Who::Requester => requester,
            Who::Provider => provider,
            Who::Stranger => (0..ACTORS).find(|&a| a != requester && a != provider).unwrap(),
        }
    }

    /// A match to act on: among those `keep` selects when there are any, else among all.
    fn pick_match(&self, of: usize, keep: impl Fn(MatchStatus) -> bool) -> Option<usize> {
        let kept: Vec<usize> = (0..self.model.matches.len())
            .filter(|&m| keep(self.model.matches[m].status))
            .collect();
        match kept.is_empty() {
            false => pick(kept.len(), of).map(|k| kept[k]),
            true => pick(self.model.matches.len(), of),
        }
    }

    async fn run(&mut self, operation: &Operation) -> Result<(), TestCaseError> {
        self.model.events.clear();
        let what = format!("{operation:?}");
        let hub = Arc::clone(&self.hub);
        match *operation {
            Operation::SubmitNeed {
                requester,
                theme,
                modality,
                abroad,
                untitled,
            } => {
                let country = if abroad { UNSERVED_COUNTRY } else { SERVED_COUNTRY };
                let window = DateWindow {
                    start: None,
                    end: Some(self.today() + chrono::Days::new(NEED_WINDOW_DAYS)),
                };
                let title = if untitled { "" } else { "need" };
                let spec = NeedSpec {
                    title: title.into(),
                    description: String::new(),
                    themes: vec![Objective::new(theme).unwrap()],
                    modalities: vec![modality],
                    level: Level::National,
                    countries: vec![country.into()],
                    languages: Vec::new(),
                    budget_usd: None,
                    urgency: Urgency::Normal,
                    window,
                };
                let expected = if requester >= ACTORS {
                    not_found("requester_id")
                } else if untitled {
                    invalid("title")
                } else {
                    Expected::Done
                };
                let result = hub.submit_need(&self.actor_id(requester), spec, "").await;
                if let Some(need) = self.verdict(&what, &expected, result)? {
                    prop_assert!(self.model.needs.iter().all(|n| n.id != need.id), "{} reused", need.id);
                    prop_assert_eq!(need.status, NeedStatus::Open);
                    self.model.needs.push(ModelNeed {
                        id: need.id,
                        requester,
                        theme,
                        modality,
                        country,
                        window,
                        title: title.into(),
                        status: NeedStatus::Open,
                    });
                    let n = self.model.needs.len() - 1;
                    self.model.emit(EventKind::NeedSubmitted, Some(n), None, None);
                }
            }
            Operation::RegisterOffer {
                provider,
                theme,
                modality,
                capacity,
                late,
            } => {
                let today = self.today();
                let window = match late {
                    true => DateWindow {
                        start: Some(today + chrono::Days::new(LATE_START_DAYS)),
                        end: Some(today + chrono::Days::new(LATE_END_DAYS)),
                    },
                    false => DateWindow {
                        start: None,
                        end: Some(today + chrono::Days::new(OFFER_WINDOW_DAYS)),
                    },
                };
                let spec = OfferSpec {
                    title: "offer".into(),
                    description: String::new(),
                    themes: vec![Objective::new(theme).unwrap()],
                    modalities: vec![modality],
                    levels: Vec::new(),
                    coverage: Coverage {
                        countries: Vec::new(),
                        areas: vec![SERVED_REGION.into()],
                        worldwide: false,
                    },
                    languages: Vec::new(),
                    capacity,
                    funding_usd: None,
                    window,
                };
                let expected = if provider >= ACTORS {
                    not_found("provider_id")
                } else if capacity == 0 {
                    invalid("capacity")
                } else {
                    Expected::Done
                };
                let result = hub.register_offer(&self.actor_id(provider), spec, "").await;
                if let Some(offer) = self.verdict(&what, &expected, result)? {
                    prop_assert!(
                        self.model.offers.iter().all(|o| o.id != offer.id),
                        "{} reused",
                        offer.id
                    );
                    self.model.offers.push(ModelOffer {
                        id: offer.id,
                        provider,
                        theme,
                        modality,
                        window,
                        capacity,
                        status: OfferStatus::Active,
                    });
                }
            }
            Operation::Propose { need, offer, guided } => {
                let (need, offer) = match guided {
                    true => self.guided_pair(need, offer),
                    false => (pick(self.model.needs.len(), need), pick(self.model.offers.len(), offer)),
                };
                let (expected, need_id, offer_id) = match (need, offer) {
                    (None, _) => (not_found("need_id"), UNKNOWN_NEED.to_string(), self.offer_id(offer)),
                    (Some(n), None) => (
                        not_found("offer_id"),
                        self.model.needs[n].id.clone(),
                        UNKNOWN_OFFER.into(),
                    ),
                    (Some(n), Some(o)) => (
                        self.model.propose(n, o),
                        self.model.needs[n].id.clone(),
                        self.model.offers[o].id.clone(),
                    ),
                };
                let result = hub.propose_match(&need_id, &offer_id, "", None).await;
                if let Some(record) = self.verdict(&what, &expected, result)? {
                    let (n, o) = (need.unwrap(), offer.unwrap());
                    prop_assert!(
                        self.model.matches.iter().all(|m| m.id != record.id),
                        "{} reused",
                        record.id
                    );
                    prop_assert_eq!(record.status, MatchStatus::Proposed);
                    prop_assert_eq!(&record.requester_id, &self.model.actors[self.model.needs[n].requester]);
                    prop_assert_eq!(&record.provider_id, &self.model.actors[self.model.offers[o].provider]);
                    self.model.matches.push(ModelMatch {
                        id: record.id,
                        need: n,
                        offer: o,
                        status: MatchStatus::Proposed,
                        created_at: record.created_at,
                        responses: Vec::new(),
                        rating: None,
                    });
                    self.model
                        .emit_match(EventKind::MatchProposed, self.model.matches.len() - 1);
                }
            }
            Operation::Answer { of, among, who, accept } => {
                let live = |status: MatchStatus| match among {
                    Among::Awaiting => awaits_answer(status),
                    Among::Confirmed => status == MatchStatus::Confirmed,
                    Among::All => true,
                };
                let reason = if accept { "fits our plans" } else { "not now" };
                let (expected, match_id, actor_id) = match self.pick_match(of, live) {
                    None => (not_found("match_id"), UNKNOWN_MATCH.to_string(), self.actor_id(0)),
                    Some(m) => {
                        let actor = self.actor_on(m, who);
                        let id = self.model.matches[m].id.clone();
                        (self.model.answer(m, actor, accept), id, self.actor_id(actor))
                    }
                };
                let result = hub.respond_to_match(&match_id, &actor_id, accept, reason).await;
                if let Some(record) = self.verdict(&what, &expected, result)? {
                    self.same_match(&record)?;
                }
            }
            Operation::Complete {
                of,
                confirmed_only,
                who,
                rating,
            } => {
                let confirmed = |status: MatchStatus| !confirmed_only || status == MatchStatus::Confirmed;
                let picked = self.pick_match(of, confirmed);
                let actor = picked.map_or(0, |m| self.actor_on(m, who));
                // The outcome's fields are checked before the match is looked up.
                let (expected, match_id) = match picked {
                    _ if !(1..=5).contains(&rating) => (invalid("rating"), self.match_id(picked)),
                    None => (not_found("match_id"), UNKNOWN_MATCH.to_string()),
                    Some(m) => (self.model.complete(m, actor, rating), self.model.matches[m].id.clone()),
                };
                let report = OutcomeReport {
                    rating,
                    mgi_dimensions: Vec::new(),
                    lessons_learned: String::new(),
                };
                let result = hub.complete_match(&match_id, &self.actor_id(actor), report).await;
                if let Some(record) = self.verdict(&what, &expected, result)? {
                    self.same_match(&record)?;
                }
            }
            Operation::WithdrawNeed { need } => {
                let need = pick(self.model.needs.len(), need);
                let expected = need.map_or(not_found("id"), |n| self.model.withdraw_need(n));
                let result = hub.withdraw_need(&self.need_id(need), "plans changed").await;
                if let Some(record) = self.verdict(&what, &expected, result)? {
                    prop_assert_eq!(record.status, NeedStatus::Withdrawn);
                }
            }
            Operation::WithdrawOffer { offer } => {
                let offer = pick(self.model.offers.len(), offer);
                let expected = offer.map_or(not_found("id"), |o| self.model.withdraw_offer(o));
                let result = hub.withdraw_offer(&self.offer_id(offer), "programme ended").await;
                if let Some(record) = self.verdict(&what, &expected, result)? {
                    prop_assert_eq!(record.status, OfferStatus::Withdrawn);
                }
            }
            Operation::SetCapacity {
                offer,
                capacity,
                guided,
            } => {
                let busiest = (0..self.model.offers.len())
                    .filter(|&o| self.model.reserved(o) > 0 && !offer_is_final(self.model.offers[o].status))
                    .max_by_key(|&o| (self.model.reserved(o), std::cmp::Reverse(o)));
                let (offer, capacity) = match busiest {
                    Some(o) if guided => (Some(o), (self.model.reserved(o) + capacity).saturating_sub(2)),
                    _ => (pick(self.model.offers.len(), offer), capacity),
                };
                let expected = offer.map_or(not_found("offer.id"), |o| self.model.set_capacity(o, capacity));
                let set_capacity = |spec: &mut OfferSpec| {
                    spec.capacity = capacity;
                    Ok(())
                };
                let result = hub.update_offer(&self.offer_id(offer), set_capacity).await;
                if let Some(record) = self.verdict(&what, &expected, result)? {
                    let o = offer.unwrap();
                    prop_assert_eq!(record.status, self.model.offers[o].status);
                    prop_assert_eq!(record.remaining_capacity, self.model.remaining(o));
                }
            }
            Operation::RetitleNeed { need, untitled } => {
                let need = pick(self.model.needs.len(), need);
                let title = if untitled {
                    String::new()
                } else {
                    format!("need, edited at step {}", self.steps.len())
                };
                let expected = match need {
                    None => not_found("need.id"),
                    Some(n) if self.model.needs[n].status != NeedStatus::Open => precondition("NEED_NOT_OPEN"),
                    Some(_) if untitled => invalid("need.title"),
                    Some(n) => {
                        self.model.needs[n].title.clone_from(&title);
                        Expected::Done
                    }
                };
                let retitle = |spec: &mut NeedSpec| {
                    spec.title = title;
                    Ok(())
                };
                let result = hub.update_need(&self.need_id(need), retitle).await;
                self.verdict(&what, &expected, result)?;
            }
            Operation::ConfirmNeed { need } => {
                let need = pick(self.model.needs.len(), need);
                let expected = match need {
                    None => not_found("id"),
                    Some(n) if self.model.needs[n].status != NeedStatus::Open => precondition("LISTING_NOT_LIVE"),
                    Some(_) => Expected::Done,
                };
                let result = hub.confirm_need_still_current(&self.need_id(need)).await;
                self.verdict(&what, &expected, result)?;
            }
            Operation::ConfirmOffer { offer } => {
                let offer = pick(self.model.offers.len(), offer);
                let expected = match offer {
                    None => not_found("id"),
                    Some(o) if self.model.offers[o].status != OfferStatus::Active => precondition("LISTING_NOT_LIVE"),
                    Some(_) => Expected::Done,
                };
                let result = hub.confirm_offer_still_current(&self.offer_id(offer)).await;
                self.verdict(&what, &expected, result)?;
            }
            Operation::Mark {
                need,
                offer,
                who,
                decline,
                guided,
            } => {
                let (need, offer) = match guided {
                    true => self.guided_pair(need, offer),
                    false => (pick(self.model.needs.len(), need), pick(self.model.offers.len(), offer)),
                };
                let (expected, actor) = match (need, offer) {
                    (None, _) => (not_found("need_id"), 0),
                    (Some(_), None) => (not_found("offer_id"), 0),
                    (Some(n), Some(o)) => {
                        let (requester, provider) = (self.model.needs[n].requester, self.model.offers[o].provider);
                        let actor = match who {
                            Who::Turn | Who::Requester => requester,
                            Who::Provider => provider,
                            Who::Stranger => (0..ACTORS).find(|&a| a != requester && a != provider).unwrap(),
                        };
                        (self.model.mark(n, o, actor, decline), actor)
                    }
                };
                let change = PreferenceChange {
                    need_id: self.need_id(need),
                    offer_id: self.offer_id(offer),
                    actor_id: self.actor_id(actor),
                    preference: if decline {
                        Preference::Declined
                    } else {
                        Preference::None
                    },
                    reason: "not for us".into(),
                };
                let result = hub.set_preference(&change).await;
                self.verdict(&what, &expected, result)?;
            }
            Operation::LetDaysPass { days } => {
                tokio::time::advance(self::days(days)).await;
                // The sweep reads the hub's clock before its first await: the same instant.
                let predicted = self.model.expire(hub.now());
                let sweep = hub.expire_due().await;
                let sweep = self.verdict(&what, &Expected::Done, sweep)?.unwrap();
                prop_assert_eq!(
                    (sweep.needs, sweep.offers, sweep.proposals),
                    predicted,
                    "needs, offers and proposals expired"
                );
                prop_assert_eq!((sweep.stale_needs, sweep.stale_offers), (0, 0));
            }
        }
        for (kind, ..) in &self.model.events {
            *self.reached.entry(kind.clone()).or_default() += 1;
        }
        self.steps.push(Step {
            operation: what,
            events: std::mem::take(&mut self.model.events),
        });
        Ok(())
    }

    /// A live need where offers serve and an available offer of another provider on its
    /// objective and modality in its window, when the model knows of any; else any two records.
    /// `offer`'s lowest bit chooses between the offer with most confirmed engagements and any.
    fn guided_pair(&self, need: usize, offer: usize) -> (Option<usize>, Option<usize>) {
        let model = &self.model;
        let live: Vec<usize> = (0..model.needs.len())
            .filter(|&n| !need_is_final(model.needs[n].status) && model.needs[n].country == SERVED_COUNTRY)
            .collect();
        if let Some(n) = pick(live.len(), need).map(|k| live[k]) {
            let fitting: Vec<usize> = (0..model.offers.len())
                .filter(|&o| {
                    let (wanted, offered) = (&model.needs[n], &model.offers[o]);
                    model.available(o)
                        && offered.theme == wanted.theme
                        && offered.modality == wanted.modality
                        && offered.provider != wanted.requester
                        && overlap(&wanted.window, &offered.window)
                })
                .collect();
            // Half the time the busiest of them, so that offers fill up.
            let busiest = fitting
                .iter()
                .copied()
                .max_by_key(|&o| (model.reserved(o), std::cmp::Reverse(o)));
            if let Some(busiest) = busiest {
                let o = if offer.is_multiple_of(2) {
                    busiest
                } else {
                    fitting[offer / 2 % fitting.len()]
                };
                return (Some(n), Some(o));
            }
        }
        (pick(model.needs.len(), need), pick(model.offers.len(), offer))
    }

    fn need_id(&self, need: Option<usize>) -> String {
        need.map_or(UNKNOWN_NEED.into(), |n| self.model.needs[n].id.clone())
    }

    fn offer_id(&self, offer: Option<usize>) -> String {
        offer.map_or(UNKNOWN_OFFER.into(), |o| self.model.offers[o].id.clone())
    }

    fn match_id(&self, m: Option<usize>) -> String {
        m.map_or(UNKNOWN_MATCH.into(), |m| self.model.matches[m].id.clone())
    }

    /// A match as the hub returned or keeps it equals the model's.
    fn same_match(&self, record: &capacity_hub::domain::Match) -> Result<(), TestCaseError> {
        let Some(m) = self.model.matches.iter().position(|m| m.id == record.id) else {
            return Err(TestCaseError::fail(format!("{} is not in the model", record.id)));
        };
        let model = &self.model.matches[m];
        prop_assert_eq!(record.status, model.status, "status of {}", record.id);
        prop_assert_eq!(&record.need_id, &self.model.needs[model.need].id);
        prop_assert_eq!(&record.offer_id, &self.model.offers[model.offer].id);
        prop_assert_eq!(&record.requester_id, &self.model.actors[self.model.requester_of(m)]);
        prop_assert_eq!(&record.provider_id, &self.model.actors[self.model.provider_of(m)]);
        let answers: Vec<(String, bool)> = record
            .responses
            .iter()
            .map(|r| (r.actor_id.clone(), r.accept))
            .collect();
        let expected: Vec<(String, bool)> = model
            .responses
            .iter()
            .map(|&(actor, accept)| (self.model.actors[actor].clone(), accept))
            .collect();
        prop_assert_eq!(answers, expected, "answers of {}", record.id);
        prop_assert_eq!(
            record.outcome.as_ref().map(|o| o.rating),
            model.rating,
            "outcome of {}",
            record.id
        );
        Ok(())
    }

    fn same_need(&self, need: &capacity_hub::domain::Need) -> Result<(), TestCaseError> {
        let Some(model) = self.model.needs.iter().find(|n| n.id == need.id) else {
            return Err(TestCaseError::fail(format!("{} is not in the model", need.id)));
        };
        prop_assert_eq!(need.status, model.status, "status of {}", need.id);
        prop_assert_eq!(&need.requester_id, &self.model.actors[model.requester]);
        prop_assert_eq!(&need.spec.title, &model.title);
        Ok(())
    }

    fn same_offer(&self, offer: &capacity_hub::domain::Offer) -> Result<(), TestCaseError> {
        let Some(o) = self.model.offers.iter().position(|o| o.id == offer.id) else {
            return Err(TestCaseError::fail(format!("{} is not in the model", offer.id)));
        };
        let model = &self.model.offers[o];
        prop_assert_eq!(offer.status, model.status, "status of {}", offer.id);
        prop_assert_eq!(&offer.provider_id, &self.model.actors[model.provider]);
        prop_assert_eq!(offer.spec.capacity, model.capacity, "capacity of {}", offer.id);
        prop_assert_eq!(
            offer.remaining_capacity,
            self.model.remaining(o),
            "remaining capacity of {} (capacity less its confirmed engagements)",
            offer.id
        );
        Ok(())
    }

    /// Every need, offer and match the hub lists equals the model's, and no other exists.
    fn same_state(&self) -> Result<(), TestCaseError> {
        let all = everything();
        let hub = &self.hub;
        let needs = hub.list_needs(&NeedFilter::default(), &all).unwrap().records;
        let offers = hub.list_offers(&OfferFilter::default(), &all).unwrap().records;
        let matches = hub.list_matches(&MatchFilter::default(), &all).unwrap().records;
        prop_assert_eq!(ids(&needs, |n| &n.id), ids(&self.model.needs, |n| &n.id));
        prop_assert_eq!(ids(&offers, |o| &o.id), ids(&self.model.offers, |o| &o.id));
        prop_assert_eq!(ids(&matches, |m| &m.id), ids(&self.model.matches, |m| &m.id));
        for need in &needs {
            self.same_need(need)?;
        }
        for offer in &offers {
            self.same_offer(offer)?;
        }
        for record in &matches {
            self.same_match(record)?;
        }
        Ok(())
    }

    /// At the end: each record read by id, every filtered List, and the event log.
    async fn same_at_the_end(&self) -> Result<(), TestCaseError> {
        let hub = &self.hub;
        let model = &self.model;
        for need in &model.needs {
            self.same_need(&hub.get_need(&need.id).unwrap())?;
        }
        for offer in &model.offers {
            self.same_offer(&hub.get_offer(&offer.id).unwrap())?;
        }
        for record in &model.matches {
            self.same_match(&hub.get_match(&record.id).unwrap())?;
        }
        let all = everything();
        let need_statuses = [
            NeedStatus::Open,
            NeedStatus::Matched,
            NeedStatus::InProgress,
            NeedStatus::Fulfilled,
            NeedStatus::Withdrawn,
            NeedStatus::Expired,
        ];
        for status in need_statuses {
            let filter = NeedFilter {
                status: Some(status),
                ..NeedFilter::default()
            };
            let listed = hub.list_needs(&filter, &all).unwrap().records;
            let expected: Vec<&ModelNeed> = model.needs.iter().filter(|n| n.status == status).collect();
            prop_assert_eq!(
                ids(&listed, |n| &n.id),
                ids(&expected, |n| &n.id),
                "ListNeeds({:?})",
                status
            );
        }
        let offer_statuses = [
            OfferStatus::Active,
            OfferStatus::Paused,
            OfferStatus::Exhausted,
            OfferStatus::Withdrawn,
            OfferStatus::Expired,
        ];
        for status in offer_statuses {
            let filter = OfferFilter {
                status: Some(status),
                ..OfferFilter::default()
            };
            let listed = hub.list_offers(&filter, &all).unwrap().records;
            let expected: Vec<&ModelOffer> = model.offers.iter().filter(|o| o.status == status).collect();
            prop_assert_eq!(
                ids(&listed, |o| &o.id),
                ids(&expected, |o| &o.id),
                "ListOffers({:?})",
                status
            );
        }
        let match_statuses = [
            MatchStatus::Proposed,
            MatchStatus::AcceptedByRequester,
            MatchStatus::AcceptedByProvider,
            MatchStatus::Confirmed,
            MatchStatus::Declined,
            MatchStatus::Completed,
            MatchStatus::Cancelled,
            MatchStatus::Expired,
        ];
        for status in match_statuses {
            let filter = MatchFilter {
                status: Some(status),
                ..MatchFilter::default()
            };
            let listed = hub.list_matches(&filter, &all).unwrap().records;
            let expected: Vec<&ModelMatch> = model.matches.iter().filter(|m| m.status == status).collect();
            prop_assert_eq!(
                ids(&listed, |m| &m.id),
                ids(&expected, |m| &m.id),
                "ListMatches({:?})",
                status
            );
        }
        for (a, actor_id) in model.actors.iter().enumerate() {
            let filter = NeedFilter {
                requester_id: Some(actor_id.clone()),
                ..NeedFilter::default()
            };
            let listed = hub.list_needs(&filter, &all).unwrap().records;
            let expected: Vec<&ModelNeed> = model.needs.iter().filter(|n| n.requester == a).collect();
            prop_assert_eq!(
                ids(&listed, |n| &n.id),
                ids(&expected, |n| &n.id),
                "ListNeeds({})",
                actor_id
            );
            let filter = OfferFilter {
                provider_id: Some(actor_id.clone()),
                ..OfferFilter::default()
            };
            let listed = hub.list_offers(&filter, &all).unwrap().records;
            let expected: Vec<&ModelOffer> = model.offers.iter().filter(|o| o.provider == a).collect();
            prop_assert_eq!(
                ids(&listed, |o| &o.id),
                ids(&expected, |o| &o.id),
                "ListOffers({})",
                actor_id
            );
            let filter = MatchFilter {
                actor_id: Some(actor_id.clone()),
                ..MatchFilter::default()
            };
            let listed = hub.list_matches(&filter, &all).unwrap().records;
            let expected: Vec<&ModelMatch> = (0..model.matches.len())
                .filter(|&m| model.requester_of(m) == a || model.provider_of(m) == a)
                .map(|m| &model.matches[m])
                .collect();
            prop_assert_eq!(
                ids(&listed, |m| &m.id),
                ids(&expected, |m| &m.id),
                "ListMatches({})",
                actor_id
            );
        }
        for (n, need) in model.needs.iter().enumerate() {
            let filter = MatchFilter {
                need_id: Some(need.id.clone()),
                ..MatchFilter::default()
            };
            let listed = hub.list_matches(&filter, &all).unwrap().records;
            let expected: Vec<&ModelMatch> = model.matches.iter().filter(|m| m.need == n).collect();
            prop_assert_eq!(
                ids(&listed, |m| &m.id),
                ids(&expected, |m| &m.id),
                "ListMatches({})",
                need.id
            );
        }
        for (o, offer) in model.offers.iter().enumerate() {
            let filter = MatchFilter {
                offer_id: Some(offer.id.clone()),
                ..MatchFilter::default()
            };
            let listed = hub.list_matches(&filter, &all).unwrap().records;
            let expected: Vec<&ModelMatch> = model.matches.iter().filter(|m| m.offer == o).collect();
            prop_assert_eq!(
                ids(&listed, |m| &m.id),
                ids(&expected, |m| &m.id),
                "ListMatches({})",
                offer.id
            );
        }
        self.same_events().await
    }

    /// The log holds, in order, each operation's events (in any order within the operation),
    /// gap-free from sequence 1, and nothing else.
    async fn same_events(&self) -> Result<(), TestCaseError> {
        let expected: usize = self.steps.iter().map(|step| step.events.len()).sum();
        // Every write was acknowledged once durable; the flusher tells watchers of its events
        // just after it acknowledges, so allow it a moment (blocking: it is another thread).
        let published = std::time::Instant::now();
        while self.hub.event_head() < expected as u64 && published.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(1));
        }
        let head = self.hub.event_head();
        let mut log = Vec::new();
        let mut watcher = self.hub.watch(0, Box::new(|_, _| Delivery::Send)).unwrap();
        while (log.len() as u64) < head {
            let event = watcher.recv().await.unwrap().unwrap().event;
            prop_assert_eq!(event.sequence, log.len() as u64 + 1, "events are gap-free and in order");
            log.push(event);
        }
        let mut rest = log.as_slice();
        for step in &self.steps {
            let (these, after) = rest.split_at(step.events.len().min(rest.len()));
            let mut got: Vec<EventKey> = these.iter().map(event_key).collect();
            let mut wanted = step.events.clone();
            got.sort();
            wanted.sort();
            prop_assert_eq!(got, wanted, "the events of {}", step.operation);
            rest = after;
        }
        prop_assert_eq!(head as usize, expected, "events in the log: {:?}", rest);
        Ok(())
    }
}

fn everything() -> PageRequest {
    PageRequest {
        after: None,
        limit: 500,
    }
}

fn ids<T>(records: &[T], id: impl Fn(&T) -> &String) -> Vec<String> {
    records.iter().map(|record| id(record).clone()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn every_operation_does_what_the_model_says(operations in operations(1..80)) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap();
        runtime.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let mut world = World::new(dir.path()).await;
            for operation in &operations {
                world.run(operation).await?;
                world.same_state()?;
            }
            world.same_at_the_end().await
        })?;
    }
}

/// Random runs of [`the_operations_reach_every_rule`].
const RUNS: usize = 24;

/// An offer filled by confirmed engagements, which random runs reach too seldom to count on:
/// two places, three needs proposed to it; two confirmed, the third's confirmation refused;
/// its capacity cut below what they hold (refused), then raised; the third confirmed; one
/// engagement completed and one cancelled by its provider.
fn a_full_offer() -> Vec<Operation> {
    let need = |requester| Operation::SubmitNeed {
        requester,
        theme: 13,
        modality: Modality::Training,
        abroad: false,
        untitled: false,
    };
    let propose = |need| Operation::Propose {
        need,
        offer: 0,
        guided: false,
    };
    let answer = |among, who, accept| Operation::Answer {
        of: 0,
        among,
        who,
        accept,
    };
    let turn = answer(Among::Awaiting, Who::Turn, true);
    let capacity = |capacity| Operation::SetCapacity {
        offer: 0,
        capacity,
        guided: true,
    };
    vec![
        need(0),
        need(1),
        need(3),
        Operation::RegisterOffer {
            provider: 2,
            theme: 13,
            modality: Modality::Training,
            capacity: 2,
            late: false,
        },
        propose(0),
        propose(1),
        propose(2),
        turn.clone(),
        turn.clone(),
        turn.clone(),
        turn.clone(),
        turn.clone(),
        turn.clone(),
        capacity(1),
        capacity(3),
        turn,
        Operation::Complete {
            of: 0,
            confirmed_only: true,
            who: Who::Turn,
            rating: 4,
        },
        answer(Among::Confirmed, Who::Provider, false),
    ]
}

/// The model is only as good as the operations that reach its rules: [`a_full_offer`] and
/// [`RUNS`] fixed random runs must between them predict every refusal the model knows (but
/// OFFER_NOT_ACTIVE at confirmation: no call pauses an offer, and withdrawing or expiring one
/// cancels what awaits an answer on it) and every kind of event, the hub agreeing each time.
#[test]
fn the_operations_reach_every_rule() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let random = (0..RUNS).map(|_| operations(60..80).new_tree(&mut runner).unwrap().current());
    let runs: Vec<Vec<Operation>> = std::iter::once(a_full_offer()).chain(random).collect();
    let mut reached: HashMap<String, usize> = HashMap::new();
    runtime.block_on(async {
        for operations in runs {
            let dir = tempfile::tempdir().unwrap();
            let mut world = World::new(dir.path()).await;
            for operation in &operations {
                world.run(operation).await.unwrap();
                world.same_state().unwrap();
            }
            world.same_at_the_end().await.unwrap();
            for (outcome, count) in world.reached {
                *reached.entry(outcome).or_default() += count;
            }
        }
    });
    let wanted = [
        "DONE",
        "NOT_FOUND",
        "FIELD_RULES_BROKEN",
        "NEED_NOT_OPEN",
        "OFFER_EXHAUSTED",
        "OWN_OFFER",
        "NO_SHARED_OBJECTIVE",
        "NO_SHARED_MODALITY",
        "COUNTRY_NOT_SERVED",
        "WINDOWS_DO_NOT_OVERLAP",
        "PAIR_DECLINED",
        "MATCH_ALREADY_LIVE",
        "STATUS_TRANSITION_REFUSED",
        "ANSWER_NOT_EXPECTED",
        "OFFER_CLOSED",
        "CAPACITY_BELOW_CONFIRMED",
        "LISTING_NOT_LIVE",
        "NeedSubmitted",
        "NeedWithdrawn",
        "NeedExpired",
        "OfferWithdrawn",
        "OfferExpired",
        "MatchProposed",
        "MatchAccepted",
        "MatchConfirmed",
        "MatchDeclined",
        "MatchCompleted",
        "MatchCancelled",
        "MatchExpired",
        "PreferenceSet",
    ];
    let missing: Vec<&str> = wanted.iter().copied().filter(|w| !reached.contains_key(*w)).collect();
    assert!(missing.is_empty(), "never reached: {missing:?} (reached {reached:?})");
}
