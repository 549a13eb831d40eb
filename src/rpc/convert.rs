//! Conversion between the generated proto messages and the domain records. Proto structs are
//! destructured in full, so a field added to the proto is a compile error here rather than
//! silently dropped. Editable fields convert one at a time, so create calls and masked updates
//! share one mapping.

use prost_types::{FieldMask, Timestamp};

use crate::domain::{
    self, Actor, ActorProfile, Coverage, DateWindow, Explanation, Match, Need, NeedSpec, Objective, Offer, OfferSpec,
    Partnership, PartnershipSpec, ScoreComponent, Staleness, UnixMillis, Violations,
};
use crate::hub::{
    AllocatedPair, AllocationMode, AllocationOutcome, AllocationRequest, EquityReport, EquityShare, Hub,
    IntegratedSolution, MAX_NEEDS_DEPTH, MatchCandidate, NeedCandidate, NeedFilter, NeedInterest, OfferWatch,
    OutcomeReport, PairExplanation, Stats, TimeToMatch, WatchedEvent,
};
use crate::matching::bundles::Cell;
use crate::proto;

/// A wire code that names no value of its enum (a client built against a newer proto, or a bug).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownCode;

/// A proto enum and its domain counterpart.
pub trait ProtoEnum: Sized + Copy {
    /// What a value is, for messages ("a modality").
    const WHAT: &'static str;
    /// The domain value of a wire code: `Ok(None)` for UNSPECIFIED, `Err` for unknown codes.
    fn from_code(code: i32) -> Result<Option<Self>, UnknownCode>;
    /// The wire code of a domain value.
    fn wire(self) -> i32;
}

macro_rules! proto_enum {
    ($domain:ty, $proto:ident, $what:literal, [$($variant:ident),+ $(,)?]) => {
        impl ProtoEnum for $domain {
            const WHAT: &'static str = $what;

            fn from_code(code: i32) -> Result<Option<Self>, UnknownCode> {
                match proto::$proto::try_from(code).map_err(|_| UnknownCode)? {
                    proto::$proto::Unspecified => Ok(None),
                    $(proto::$proto::$variant => Ok(Some(<$domain>::$variant)),)+
                }
            }

            fn wire(self) -> i32 {
                match self {
                    $(<$domain>::$variant => proto::$proto::$variant as i32,)+
                }
            }
        }
    };
}

proto_enum!(
    domain::ActorKind,
    ActorKind,
    "an actor kind",
    [
        NationalGovernment,
        LocalAuthority,
        UnEntity,
        RegionalBody,
        RegionalProcess,
        CivilSociety,
        PrivateSector,
        Academia,
        DiasporaOrganization,
        MigrantOrganization,
        Philanthropy,
        TradeUnion,
        Parliament,
        YouthNetwork,
    ]
);
proto_enum!(
    domain::Modality,
    Modality,
    "a modality",
    [
        Training,
        OnlineCourse,
        TechnicalAdvice,
        PeerExchange,
        Twinning,
        Secondment,
        DataAndTools,
        Research,
        Funding,
    ]
);
proto_enum!(
    domain::Level,
    Level,
    "a level of governance",
    [Local, National, Regional, Global]
);
proto_enum!(domain::Urgency, Urgency, "an urgency", [Low, Normal, High, Critical]);
proto_enum!(
    domain::PartnershipKind,
    PartnershipKind,
    "a partnership kind",
    [
        BilateralAgreement,
        RegionalProcessMembership,
        JointProgramme,
        Memorandum,
        NetworkMembership,
        Funding,
        Hosting,
        PastCollaboration,
    ]
);
proto_enum!(
    domain::MgiDimension,
    MgiDimension,
    "a Migration Governance Indicators dimension",
    [
        MigrantsRights,
        WholeOfGovernment,
        Partnerships,
        WellbeingOfMigrants,
        MobilityDimensionsOfCrises,
        SafeOrderlyDignifiedMigration,
    ]
);
proto_enum!(
    domain::EventKind,
    EventKind,
    "an event kind",
    [
        NeedSubmitted,
        NeedWithdrawn,
        NeedExpired,
        OfferWithdrawn,
        OfferExpired,
        MatchProposed,
        MatchAccepted,
        MatchConfirmed,
        MatchDeclined,
        MatchCompleted,
        MatchCancelled,
        MatchExpired,
        PracticeSubmitted,
        PracticeWithdrawn,
        PreferenceSet,
        Stale,
    ]
);
proto_enum!(
    domain::NeedStatus,
    NeedStatus,
    "a need status",
    [Open, Matched, InProgress, Fulfilled, Withdrawn, Expired]
);
proto_enum!(
    domain::OfferStatus,
    OfferStatus,
    "an offer status",
    [Active, Paused, Exhausted, Withdrawn, Expired]
);
proto_enum!(
    domain::MatchStatus,
    MatchStatus,
    "a match status",
    [
        Proposed,
        AcceptedByRequester,
        AcceptedByProvider,
        Confirmed,
        Declined,
        Completed,
        Cancelled,
        Expired,
    ]
);

/// An enum field that may be left unspecified.
pub fn optional_enum<E: ProtoEnum>(field: &str, code: i32, violations: &mut Violations) -> Option<E> {
    E::from_code(code).unwrap_or_else(|UnknownCode| {
        violations.push(field, format!("{code} is not {}", E::WHAT));
        None
    })
}

/// An enum field that must be set; `fallback` stands in after a violation is recorded.
pub fn required_enum<E: ProtoEnum>(field: &str, code: i32, fallback: E, violations: &mut Violations) -> E {
    match E::from_code(code) {
        Ok(Some(value)) => value,
        Ok(None) => {
            violations.push(field, format!("must be set to {}", E::WHAT));
            fallback
        }
        Err(UnknownCode) => {
            violations.push(field, format!("{code} is not {}", E::WHAT));
            fallback
        }
    }
}

/// A repeated enum field; every item must be set.
pub fn enum_list<E: ProtoEnum>(field: &str, codes: &[i32], violations: &mut Violations) -> Vec<E> {
    let mut values = Vec::with_capacity(codes.len());
    for (i, &code) in codes.iter().enumerate() {
        match E::from_code(code) {
            Ok(Some(value)) => values.push(value),
            Ok(None) => violations.push(format!("{field}[{i}]"), format!("must be {}, not unspecified", E::WHAT)),
            Err(UnknownCode) => violations.push(format!("{field}[{i}]"), format!("{code} is not {}", E::WHAT)),
        }
    }
    values
}

/// GCM objective numbers.
pub fn objectives(field: &str, numbers: &[u32], violations: &mut Violations) -> Vec<Objective> {
    let mut themes = Vec::with_capacity(numbers.len());
    for (i, &number) in numbers.iter().enumerate() {
        match Objective::new(number) {
            Ok(objective) => themes.push(objective),
            Err(rule) => violations.push(format!("{field}[{i}]"), rule),
        }
    }
    themes
}

/// An optional objective filter: 0 does not filter.
pub fn objective_filter(field: &str, number: u32, violations: &mut Violations) -> Option<Objective> {
    if number == 0 {
        return None;
    }
    Objective::new(number).map_err(|rule| violations.push(field, rule)).ok()
}

fn window(field: &str, window: Option<&proto::DateWindow>, violations: &mut Violations) -> DateWindow {
    let Some(proto::DateWindow { start_date, end_date }) = window else {
        return DateWindow::default();
    };
    DateWindow::parse(start_date, end_date).unwrap_or_else(|(part, rule)| {
        violations.push(format!("{field}.{part}"), rule);
        DateWindow::default()
    })
}

fn window_to_proto(window: &DateWindow) -> Option<proto::DateWindow> {
    let (start_date, end_date) = window.to_strings();
    Some(proto::DateWindow { start_date, end_date })
}

/// A timestamp from milliseconds since the epoch.
pub fn timestamp(millis: UnixMillis) -> Option<Timestamp> {
    let nanos = i32::try_from(millis.rem_euclid(1000) * 1_000_000).unwrap_or(0);
    Some(Timestamp {
        seconds: millis.div_euclid(1000),
        nanos,
    })
}

/// An id filter: empty does not filter.
pub fn id_filter(id: String) -> Option<String> {
    (!id.is_empty()).then_some(id)
}

/// The edit an Update request asks for: the new values, and which fields to take from them.
pub struct MaskedEdit<M> {
    values: M,
    paths: Vec<String>,
    /// The request field holding the values ("need"), for violation paths.
    field: &'static str,
}

/// Sets one editable field of a record from a proto message.
type FieldSetter<T, M> = fn(&mut T, &str, &M, &str, &mut Violations);

impl<M> MaskedEdit<M> {
    /// Checks the mask's paths against `editable`; an empty mask edits every editable field.
    fn new(
        values: Option<M>,
        mask: Option<FieldMask>,
        field: &'static str,
        editable: &[&str],
    ) -> Result<Self, Violations> {
        let values = values.ok_or_else(|| Violations::single(field, "must be set"))?;
        let mut paths = mask.map(|mask| mask.paths).unwrap_or_default();
        if paths.is_empty() {
            paths = editable.iter().map(ToString::to_string).collect();
        }
        let mut violations = Violations::default();
        for (i, path) in paths.iter().enumerate() {
            if !editable.contains(&path.as_str()) {
                let rule = format!("'{path}' is not editable; use {}", editable.join(", "));
                violations.push(format!("update_mask.paths[{i}]"), rule);
            }
        }
        violations.into_result().map(|()| MaskedEdit { values, paths, field })
    }

    fn apply_with<T>(&self, target: &mut T, set: FieldSetter<T, M>) -> Result<(), Violations> {
        let mut violations = Violations::default();
        let prefix = format!("{}.", self.field);
        for path in &self.paths {
            set(target, path, &self.values, &prefix, &mut violations);
        }
        violations.into_result()
    }
}

impl MaskedEdit<proto::Actor> {
    /// Applies the edit to an actor's profile.
    pub fn apply(&self, profile: &mut ActorProfile) -> Result<(), Violations> {
        self.apply_with(profile, set_actor_field)
    }
}

impl MaskedEdit<proto::Need> {
    /// Applies the edit to a need's spec.
    pub fn apply(&self, spec: &mut NeedSpec) -> Result<(), Violations> {
        self.apply_with(spec, set_need_field)
    }
}

impl MaskedEdit<proto::Offer> {
    /// Applies the edit to an offer's spec.
    pub fn apply(&self, spec: &mut OfferSpec) -> Result<(), Violations> {
        self.apply_with(spec, set_offer_field)
    }
}

// ---- actors ----

const ACTOR_FIELDS: &[&str] = &["name", "kind", "country", "languages", "description", "contact"];

fn set_actor_field(
    profile: &mut ActorProfile,
    path: &str,
    actor: &proto::Actor,
    prefix: &str,
    violations: &mut Violations,
) {
    match path {
        "name" => profile.name.clone_from(&actor.name),
        "kind" => profile.kind = required_enum(&format!("{prefix}kind"), actor.kind, profile.kind, violations),
        "country" => profile.country = id_filter(actor.country.clone()),
        "languages" => profile.languages.clone_from(&actor.languages),
        "description" => profile.description.clone_from(&actor.description),
        "contact" => profile.contact.clone_from(&actor.contact),
        _ => {}
    }
}

/// The profile and idempotency key of a RegisterActor request.
pub fn register_actor(request: proto::RegisterActorRequest) -> Result<(ActorProfile, String), Violations> {
    let proto::RegisterActorRequest {
        name,
        kind,
        country,
        languages,
        description,
        contact,
        request_id,
    } = request;
    let actor = proto::Actor {
        name,
        kind,
        country,
        languages,
        description,
        contact,
        ..proto::Actor::default()
    };
    let mut violations = Violations::default();
    let mut profile = ActorProfile {
        name: String::new(),
        kind: domain::ActorKind::CivilSociety,
        country: None,
        languages: Vec::new(),
        description: String::new(),
        contact: String::new(),
    };
    for path in ACTOR_FIELDS {
        set_actor_field(&mut profile, path, &actor, "", &mut violations);
    }
    violations.into_result().map(|()| (profile, request_id))
}

/// The id and the profile edit of an UpdateActor request.
pub fn update_actor(request: proto::UpdateActorRequest) -> Result<(String, MaskedEdit<proto::Actor>), Violations> {
    let proto::UpdateActorRequest { actor, update_mask } = request;
    let edit = MaskedEdit::new(actor, update_mask, "actor", ACTOR_FIELDS)?;
    Ok((edit.values.id.clone(), edit))
}

/// Whether a reply may show an actor's contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactVisibility {
    Shown,
    Hidden,
}

/// An actor as the API shows it.
pub fn actor(actor: &Actor, contact: ContactVisibility) -> proto::Actor {
    let Actor {
        id,
        profile,
        token_sha256: _,
        created_at,
        updated_at,
    } = actor;
    let ActorProfile {
        name,
        kind,
        country,
        languages,
        description,
        contact: private_contact,
    } = profile;
    let (region, sub_region) = profile.region().unwrap_or_default();
    proto::Actor {
        id: id.clone(),
        name: name.clone(),
        kind: kind.wire(),
        country: country.clone().unwrap_or_default(),
        region: region.to_string(),
        sub_region: sub_region.to_string(),
        languages: languages.clone(),
        description: description.clone(),
        contact: if contact == ContactVisibility::Shown {
            private_contact.clone()
        } else {
            String::new()
        },
        created_at: timestamp(*created_at),
        updated_at: timestamp(*updated_at),
    }
}

/// An actor's id, name and kind, as paths and suggestions show it.
pub fn actor_ref(actor: &Actor) -> proto::ActorRef {
    proto::ActorRef {
        id: actor.id.clone(),
        name: actor.profile.name.clone(),
        kind: actor.profile.kind.wire(),
    }
}

// ---- needs ----

const NEED_FIELDS: &[&str] = &[
    "title",
    "description",
    "themes",
    "modalities",
    "level",
    "countries",
    "languages",
    "budget_usd",
    "urgency",
    "window",
];

fn set_need_field(spec: &mut NeedSpec, path: &str, need: &proto::Need, prefix: &str, violations: &mut Violations) {
    let field = format!("{prefix}{path}");
    match path {
        "title" => spec.title.clone_from(&need.title),
        "description" => spec.description.clone_from(&need.description),
        "themes" => spec.themes = objectives(&field, &need.themes, violations),
        "modalities" => spec.modalities = enum_list(&field, &need.modalities, violations),
        "level" => spec.level = required_enum(&field, need.level, spec.level, violations),
        "countries" => spec.countries.clone_from(&need.countries),
        "languages" => spec.languages.clone_from(&need.languages),
        "budget_usd" => spec.budget_usd = need.budget_usd,
        "urgency" => spec.urgency = optional_enum(&field, need.urgency, violations).unwrap_or(domain::Urgency::Normal),
        "window" => spec.window = window(&field, need.window.as_ref(), violations),
        _ => {}
    }
}

/// The requester, spec and idempotency key of a SubmitNeed request.
pub fn submit_need(request: proto::SubmitNeedRequest) -> Result<(String, NeedSpec, String), Violations> {
    let proto::SubmitNeedRequest {
        requester_id,
        title,
        description,
        themes,
        modalities,
        level,
        countries,
        languages,
        budget_usd,
        urgency,
        window,
        request_id,
    } = request;
    let need = proto::Need {
        title,
        description,
        themes,
        modalities,
        level,
        countries,
        languages,
        budget_usd,
        urgency,
        window,
        ..proto::Need::default()
    };
    let mut violations = Violations::default();
    violations.check(
        !requester_id.is_empty(),
        "requester_id",
        "must name the requesting actor",
    );
    let mut spec = NeedSpec {
        title: String::new(),
        description: String::new(),
        themes: Vec::new(),
        modalities: Vec::new(),
        level: domain::Level::National,
        countries: Vec::new(),
        languages: Vec::new(),
        budget_usd: None,
        urgency: domain::Urgency::Normal,
        window: DateWindow::default(),
    };
    for path in NEED_FIELDS {
        set_need_field(&mut spec, path, &need, "", &mut violations);
    }
    violations.into_result().map(|()| (requester_id, spec, request_id))
}

/// The id and the spec edit of an UpdateNeed request.
pub fn update_need(request: proto::UpdateNeedRequest) -> Result<(String, MaskedEdit<proto::Need>), Violations> {
    let proto::UpdateNeedRequest { need, update_mask } = request;
    let edit = MaskedEdit::new(need, update_mask, "need", NEED_FIELDS)?;
    Ok((edit.values.id.clone(), edit))
}

/// A need as the API shows it, stale or not as the hub reads it now; the expected time to match
/// is added by the replies that carry it.
pub fn need(need: &Need, staleness: Staleness) -> proto::Need {
    let Need {
        id,
        requester_id,
        spec,
        status,
        created_at,
        updated_at,
    } = need;
    let NeedSpec {
        title,
        description,
        themes,
        modalities,
        level,
        countries,
        languages,
        budget_usd,
        urgency,
        window,
    } = spec;
    proto::Need {
        id: id.clone(),
        requester_id: requester_id.clone(),
        title: title.clone(),
        description: description.clone(),
        themes: themes.iter().map(|theme| theme.number()).collect(),
        modalities: modalities.iter().map(|m| m.wire()).collect(),
        level: level.wire(),
        countries: countries.clone(),
        languages: languages.clone(),
        budget_usd: *budget_usd,
        urgency: urgency.wire(),
        window: window_to_proto(window),
        status: status.wire(),
        created_at: timestamp(*created_at),
        updated_at: timestamp(*updated_at),
        similar_need_ids: Vec::new(),
        related_count: 0,
        stale: staleness.is_stale(),
        expected_days_to_match: None,
    }
}

/// A need's expected time to match as the API shows it.
pub fn time_to_match(time: &TimeToMatch) -> proto::TimeToMatch {
    let TimeToMatch {
        expected_days,
        similar_matched,
        offers_available,
        basis,
    } = time;
    proto::TimeToMatch {
        expected_days: *expected_days,
        similar_matched: *similar_matched,
        offers_available: *offers_available,
        basis: basis.clone(),
    }
}

// ---- offers ----

const OFFER_FIELDS: &[&str] = &[
    "title",
    "description",
    "themes",
    "modalities",
    "levels",
    "countries",
    "regions",
    "worldwide",
    "languages",
    "capacity",
    "funding_usd",
    "window",
];

fn set_offer_field(spec: &mut OfferSpec, path: &str, offer: &proto::Offer, prefix: &str, violations: &mut Violations) {
    let field = format!("{prefix}{path}");
    match path {
        "title" => spec.title.clone_from(&offer.title),
        "description" => spec.description.clone_from(&offer.description),
        "themes" => spec.themes = objectives(&field, &offer.themes, violations),
        "modalities" => spec.modalities = enum_list(&field, &offer.modalities, violations),
        "levels" => spec.levels = enum_list(&field, &offer.levels, violations),
        "countries" => spec.coverage.countries.clone_from(&offer.countries),
        "regions" => spec.coverage.areas.clone_from(&offer.regions),
        "worldwide" => spec.coverage.worldwide = offer.worldwide,
        "languages" => spec.languages.clone_from(&offer.languages),
        "capacity" => spec.capacity = offer.capacity,
        "funding_usd" => spec.funding_usd = offer.funding_usd,
        "window" => spec.window = window(&field, offer.window.as_ref(), violations),
        _ => {}
    }
}

/// The provider, spec and idempotency key of a RegisterOffer request.
pub fn register_offer(request: proto::RegisterOfferRequest) -> Result<(String, OfferSpec, String), Violations> {
    let proto::RegisterOfferRequest {
        provider_id,
        title,
        description,
        themes,
        modalities,
        levels,
        countries,
        regions,
        worldwide,
        languages,
        capacity,
        funding_usd,
        window,
        request_id,
    } = request;
    let offer = proto::Offer {
        title,
        description,
        themes,
        modalities,
        levels,
        countries,
        regions,
        worldwide,
        languages,
        capacity,
        funding_usd,
        window,
        ..proto::Offer::default()
    };
    let mut violations = Violations::default();
    violations.check(!provider_id.is_empty(), "provider_id", "must name the providing actor");
    let mut spec = OfferSpec {
        title: String::new(),
        description: String::new(),
        themes: Vec::new(),
        modalities: Vec::new(),
        levels: Vec::new(),
        coverage: Coverage::default(),
        languages: Vec::new(),
        capacity: 0,
        funding_usd: None,
        window: DateWindow::default(),
    };
    for path in OFFER_FIELDS {
        set_offer_field(&mut spec, path, &offer, "", &mut violations);
    }
    violations.into_result().map(|()| (provider_id, spec, request_id))
}

/// The id and the spec edit of an UpdateOffer request.
pub fn update_offer(request: proto::UpdateOfferRequest) -> Result<(String, MaskedEdit<proto::Offer>), Violations> {
    let proto::UpdateOfferRequest { offer, update_mask } = request;
    let edit = MaskedEdit::new(offer, update_mask, "offer", OFFER_FIELDS)?;
    Ok((edit.values.id.clone(), edit))
}

/// An offer as the API shows it, stale or not as the hub reads it now.
pub fn offer(offer: &Offer, staleness: Staleness) -> proto::Offer {
    let Offer {
        id,
        provider_id,
        spec,
        remaining_capacity,
        status,
        created_at,
        updated_at,
    } = offer;
    let OfferSpec {
        title,
        description,
        themes,
        modalities,
        levels,
        coverage,
        languages,
        capacity,
        funding_usd,
        window,
    } = spec;
    let Coverage {
        countries,
        areas,
        worldwide,
    } = coverage;
    proto::Offer {
        id: id.clone(),
        provider_id: provider_id.clone(),
        title: title.clone(),
        description: description.clone(),
        themes: themes.iter().map(|theme| theme.number()).collect(),
        modalities: modalities.iter().map(|m| m.wire()).collect(),
        levels: levels.iter().map(|l| l.wire()).collect(),
        countries: countries.clone(),
        regions: areas.clone(),
        worldwide: *worldwide,
        languages: languages.clone(),
        capacity: *capacity,
        remaining_capacity: *remaining_capacity,
        funding_usd: *funding_usd,
        window: window_to_proto(window),
        status: status.wire(),
        created_at: timestamp(*created_at),
        updated_at: timestamp(*updated_at),
        stale: staleness.is_stale(),
    }
}

// ---- partnerships ----

/// The spec and idempotency key of an AddPartnership request.
pub fn add_partnership(request: proto::AddPartnershipRequest) -> Result<(PartnershipSpec, String), Violations> {
    let proto::AddPartnershipRequest {
        actor_a,
        actor_b,
        kind,
        trust,
        since,
        note,
        request_id,
    } = request;
    let mut violations = Violations::default();
    let kind = required_enum("kind", kind, domain::PartnershipKind::Memorandum, &mut violations);
    let since = DateWindow::parse(&since, "")
        .map_err(|(_, rule)| violations.push("since", rule))
        .ok()
        .and_then(|w| w.start);
    violations.into_result()?;
    Ok((
        PartnershipSpec {
            actor_a,
            actor_b,
            kind,
            trust,
            since,
            note,
            claimed_by: None,
        },
        request_id,
    ))
}

/// A partnership as the API shows it.
pub fn partnership(partnership: &Partnership) -> proto::Partnership {
    let Partnership { id, spec, created_at } = partnership;
    let PartnershipSpec {
        actor_a,
        actor_b,
        kind,
        trust,
        since,
        note,
        claimed_by,
    } = spec;
    proto::Partnership {
        id: id.clone(),
        actor_a: actor_a.clone(),
        actor_b: actor_b.clone(),
        kind: kind.wire(),
        trust: *trust,
        since: since.map(|day| day.to_string()).unwrap_or_default(),
        note: note.clone(),
        created_at: timestamp(*created_at),
        claimed_by: claimed_by.clone().unwrap_or_default(),
    }
}

// ---- matches ----

/// An explanation as the API shows it.
pub fn explanation(explanation: &Explanation) -> proto::Explanation {
    let Explanation { summary, components } = explanation;
    let components = components
        .iter()
        .map(
            |ScoreComponent {
                 name,
                 value,
                 weight,
                 detail,
             }| proto::ScoreComponent {
                name: name.clone(),
                value: *value,
                weight: *weight,
                contribution: value * weight,
                detail: detail.clone(),
            },
        )
        .collect();
    proto::Explanation {
        summary: summary.clone(),
        components,
    }
}

/// A match candidate as the API shows it; providers' contacts stay private.
pub fn candidate(candidate: &MatchCandidate) -> proto::MatchCandidate {
    let MatchCandidate {
        offer: record,
        provider,
        score,
        explanation: why,
        engaged_on_similar,
        staleness,
    } = candidate;
    proto::MatchCandidate {
        offer: Some(offer(record, *staleness)),
        provider: Some(actor(provider, ContactVisibility::Hidden)),
        score: *score,
        explanation: Some(explanation(why)),
        engaged_on_similar_need_ids: engaged_on_similar.clone(),
    }
}

fn cells(cells: &[Cell]) -> Vec<proto::Cell> {
    cells
        .iter()
        .map(|(theme, modality)| proto::Cell {
            theme: theme.number(),
            modality: modality.wire(),
        })
        .collect()
}

/// An integrated solution as the API shows it.
pub fn bundle(solution: &IntegratedSolution) -> proto::Bundle {
    let IntegratedSolution {
        members,
        bundle,
        explanation,
    } = solution;
    let members = members
        .iter()
        .map(|(member, covered)| {
            let proto::MatchCandidate {
                offer,
                provider,
                score,
                explanation: _,
                engaged_on_similar_need_ids: _,
            } = candidate(member);
            proto::BundleMember {
                offer,
                provider,
                cells: cells(covered),
                score,
            }
        })
        .collect();
    proto::Bundle {
        members,
        coverage: bundle.coverage,
        uncovered: cells(&bundle.uncovered),
        cohesion: bundle.cohesion,
        score: bundle.score,
        explanation: explanation.clone(),
    }
}

/// A match as the API shows it.
pub fn match_record(record: &Match) -> proto::Match {
    let Match {
        id,
        need_id,
        offer_id,
        requester_id,
        provider_id,
        score,
        explanation: why,
        status,
        responses,
        outcome,
        created_at,
        updated_at,
    } = record;
    let responses = responses
        .iter()
        .map(
            |domain::MatchResponse {
                 actor_id,
                 accept,
                 reason,
                 responded_at,
             }| proto::MatchResponse {
                actor_id: actor_id.clone(),
                accept: *accept,
                reason: reason.clone(),
                responded_at: timestamp(*responded_at),
            },
        )
        .collect();
    proto::Match {
        id: id.clone(),
        need_id: need_id.clone(),
        offer_id: offer_id.clone(),
        requester_id: requester_id.clone(),
        provider_id: provider_id.clone(),
        score: *score,
        explanation: Some(explanation(why)),
        status: status.wire(),
        responses,
        created_at: timestamp(*created_at),
        updated_at: timestamp(*updated_at),
        outcome: outcome.as_ref().map(outcome_to_proto),
    }
}

fn outcome_to_proto(outcome: &domain::Outcome) -> proto::Outcome {
    let domain::Outcome {
        reported_by,
        rating,
        mgi_dimensions,
        lessons_learned,
        completed_at,
    } = outcome;
    proto::Outcome {
        reported_by: reported_by.clone(),
        rating: *rating,
        mgi_dimensions: mgi_dimensions.iter().map(|d| d.wire()).collect(),
        lessons_learned: lessons_learned.clone(),
        completed_at: timestamp(*completed_at),
    }
}

/// The match, reporting party and outcome of a CompleteMatch request.
pub fn complete_match(request: proto::CompleteMatchRequest) -> Result<(String, String, OutcomeReport), Violations> {
    let proto::CompleteMatchRequest {
        match_id,
        actor_id,
        rating,
        mgi_dimensions,
        lessons_learned,
    } = request;
    let mut violations = Violations::default();
    let mgi_dimensions = enum_list("mgi_dimensions", &mgi_dimensions, &mut violations);
    violations.into_result()?;
    Ok((
        match_id,
        actor_id,
        OutcomeReport {
            rating,
            mgi_dimensions,
            lessons_learned,
        },
    ))
}

/// A watched event as the API streams it.
pub fn event(watched: &WatchedEvent) -> proto::Event {
    let WatchedEvent {
        event,
        head_sequence,
        fit,
    } = watched;
    let domain::HubEvent {
        sequence,
        at,
        kind,
        need_id,
        offer_id,
        match_id,
        actor_ids,
        by,
        summary,
    } = event;
    proto::Event {
        sequence: *sequence,
        at: timestamp(*at),
        kind: kind.wire(),
        need_id: need_id.clone().unwrap_or_default(),
        offer_id: offer_id.clone().unwrap_or_default(),
        match_id: match_id.clone().unwrap_or_default(),
        actor_ids: actor_ids.clone(),
        by: by.clone().unwrap_or_default(),
        summary: summary.clone(),
        head_sequence: *head_sequence,
        score: fit.as_ref().map_or(0.0, |(score, _)| *score),
        explanation: fit.as_ref().map(|(_, why)| explanation(why)),
    }
}

/// The interest, the offer watched for (if any) and the start of a WatchNeeds request.
pub fn watch_needs(request: proto::WatchNeedsRequest) -> Result<(NeedInterest, Option<OfferWatch>, u64), Violations> {
    let proto::WatchNeedsRequest {
        themes,
        regions,
        modalities,
        after_sequence,
        offer_id,
        min_score,
    } = request;
    let mut violations = Violations::default();
    let themes = objectives("themes", &themes, &mut violations);
    let modalities = enum_list("modalities", &modalities, &mut violations);
    violations.check(
        offer_id.is_empty() || min_score.is_finite(),
        "min_score",
        "must be a number between 0 and 1",
    );
    violations.check(
        !offer_id.is_empty() || min_score == 0.0,
        "min_score",
        "applies to an offer's needs: set offer_id too",
    );
    violations.into_result()?;
    let for_offer = id_filter(offer_id).map(|offer_id| OfferWatch { offer_id, min_score });
    Ok((
        NeedInterest {
            themes,
            areas: regions,
            modalities,
        },
        for_offer,
        after_sequence,
    ))
}

/// A need an offer can serve, as FindNeeds shows it; requesters' contacts stay private.
pub fn need_candidate(candidate: &NeedCandidate) -> proto::NeedCandidate {
    let NeedCandidate {
        need: record,
        requester,
        score,
        explanation: why,
        staleness,
    } = candidate;
    proto::NeedCandidate {
        need: Some(need(record, *staleness)),
        requester: Some(actor(requester, ContactVisibility::Hidden)),
        score: *score,
        explanation: Some(explanation(why)),
    }
}

/// A pair explained, as ExplainMatch shows it.
pub fn pair_explanation(explained: &PairExplanation) -> proto::ExplainMatchResponse {
    match explained {
        PairExplanation::Candidate {
            candidate: found,
            rank,
            candidates,
        } => proto::ExplainMatchResponse {
            is_candidate: true,
            candidate: Some(candidate(found)),
            rank: u32::try_from(*rank).unwrap_or(u32::MAX),
            candidate_count: u32::try_from(*candidates).unwrap_or(u32::MAX),
            refusals: Vec::new(),
        },
        PairExplanation::Refused { reasons } => proto::ExplainMatchResponse {
            is_candidate: false,
            candidate: None,
            rank: 0,
            candidate_count: 0,
            refusals: reasons.clone(),
        },
    }
}

/// The page token of FindNeeds' page starting at rank `offset` for `offer_id`.
pub fn needs_page_token(offer_id: &str, offset: usize) -> String {
    format!("{offset}.{offer_id}")
}

/// The rank a FindNeeds page token starts at: it must come from a page of the same offer.
pub fn needs_page_offset(offer_id: &str, token: &str) -> Result<usize, Violations> {
    if token.is_empty() {
        return Ok(0);
    }
    token
        .split_once('.')
        .filter(|(_, of)| *of == offer_id)
        .and_then(|(offset, _)| offset.parse::<usize>().ok())
        .filter(|offset| *offset <= MAX_NEEDS_DEPTH)
        .ok_or_else(|| {
            Violations::single(
                "page_token",
                "is not a token from a previous page of this offer's needs",
            )
        })
}

/// The gRPC stream of a watch.
pub type EventStream = std::pin::Pin<Box<dyn tokio_stream::Stream<Item = Result<proto::Event, tonic::Status>> + Send>>;

/// Turns a hub watch into the gRPC stream of events.
pub fn event_stream(receiver: tokio::sync::mpsc::Receiver<Result<WatchedEvent, crate::hub::HubError>>) -> EventStream {
    use tokio_stream::StreamExt;
    let events = tokio_stream::wrappers::ReceiverStream::new(receiver)
        .map(|watched| watched.map(|watched| event(&watched)).map_err(tonic::Status::from));
    Box::pin(events)
}

/// Statistics as the API shows them, with actor names for the partnerships.
pub fn stats(stats: &Stats, hub: &Hub) -> Result<proto::Stats, crate::hub::HubError> {
    let Stats {
        actors,
        open_needs,
        needs_submitted,
        active_offers,
        partnerships,
        confirmed_matches,
        completed_matches,
        match_rate,
        median_hours_to_match,
        median_open_need_age_days,
        unmet_demand,
        most_active_partnerships,
        outcomes_by_mgi_dimension,
        mean_rating,
    } = stats;
    let unmet_demand = unmet_demand
        .iter()
        .map(|(theme, region, needs)| proto::UnmetDemand {
            theme: *theme,
            region: region.clone(),
            needs_without_offer: *needs,
        })
        .collect();
    let mut active = Vec::new();
    for (requester, provider, completed, rating) in most_active_partnerships {
        active.push(proto::PartnershipActivity {
            requester: Some(actor_ref(&hub.get_actor(requester)?)),
            provider: Some(actor_ref(&hub.get_actor(provider)?)),
            completed_matches: *completed,
            mean_rating: *rating,
        });
    }
    let outcomes = outcomes_by_mgi_dimension
        .iter()
        .map(|(dimension, outcomes, rating)| proto::DimensionOutcome {
            dimension: dimension.wire(),
            outcomes: *outcomes,
            mean_rating: *rating,
        })
        .collect();
    Ok(proto::Stats {
        actors: *actors,
        open_needs: *open_needs,
        needs_submitted: *needs_submitted,
        active_offers: *active_offers,
        partnerships: *partnerships,
        confirmed_matches: *confirmed_matches,
        completed_matches: *completed_matches,
        match_rate: *match_rate,
        median_hours_to_match: *median_hours_to_match,
        median_open_need_age_days: *median_open_need_age_days,
        unmet_demand,
        most_active_partnerships: active,
        outcomes_by_mgi_dimension: outcomes,
        mean_rating: *mean_rating,
    })
}

/// The run described by a RunAllocation request.
pub fn run_allocation(request: proto::RunAllocationRequest) -> Result<AllocationRequest, Violations> {
    let proto::RunAllocationRequest {
        mode,
        dry_run,
        requester_id,
        theme,
        country,
        region,
        provider_id,
        candidates_per_need,
    } = request;
    let mut violations = Violations::default();
    let mode = match proto::AllocationMode::try_from(mode) {
        Ok(proto::AllocationMode::Unspecified | proto::AllocationMode::Optimal) => AllocationMode::Optimal,
        Ok(proto::AllocationMode::Stable) => AllocationMode::Stable,
        Err(_) => {
            violations.push("mode", format!("{mode} is not an allocation mode"));
            AllocationMode::Optimal
        }
    };
    let needs = NeedFilter {
        requester_id: id_filter(requester_id),
        status: None,
        theme: objective_filter("theme", theme, &mut violations),
        country: id_filter(country),
        area: id_filter(region),
    };
    violations.into_result()?;
    Ok(AllocationRequest {
        mode,
        dry_run,
        needs,
        provider_id: id_filter(provider_id),
        candidates_per_need: candidates_per_need as usize,
    })
}

/// An allocation run's outcome as the API shows it.
pub fn allocation_outcome(outcome: &AllocationOutcome) -> proto::RunAllocationResponse {
    let AllocationOutcome {
        pairs,
        total_value,
        total_fit,
        unmatched,
        match_ids,
        blocking_pairs,
        needs_considered,
        offers_considered,
        equity,
    } = outcome;
    proto::RunAllocationResponse {
        pairs: pairs
            .iter()
            .map(
                |AllocatedPair {
                     need_id,
                     offer_id,
                     fit,
                     priority,
                     explanation,
                     equity: _,
                 }| proto::AllocatedPair {
                    need_id: need_id.clone(),
                    offer_id: offer_id.clone(),
                    fit: *fit,
                    priority: *priority,
                    summary: explanation.summary.clone(),
                },
            )
            .collect(),
        total_value: *total_value,
        total_fit: *total_fit,
        unmatched: unmatched
            .iter()
            .map(|(need_id, reason)| proto::UnmatchedNeed {
                need_id: need_id.clone(),
                reason: reason.clone(),
            })
            .collect(),
        match_ids: match_ids.clone(),
        blocking_pairs: count(*blocking_pairs),
        needs_considered: count(*needs_considered),
        offers_considered: count(*offers_considered),
        equity: Some(equity_report(equity)),
    }
}

/// A count on the wire, saturated (no run comes near 2^32).
fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A run's equity report as the API shows it: each group by its name.
fn equity_report(report: &EquityReport) -> proto::EquityReport {
    let EquityReport {
        by_region,
        by_ldc_sids,
        by_objective,
    } = report;
    let rows = |shares: &[EquityShare]| {
        shares
            .iter()
            .map(
                |EquityShare {
                     group,
                     open_needs,
                     open_share,
                     requested_usd,
                     pairs,
                     pair_share,
                     funded_usd,
                     funding_share,
                 }| proto::EquityShare {
                    group: group.to_string(),
                    open_needs: count(*open_needs),
                    open_share: *open_share,
                    requested_usd: *requested_usd,
                    pairs: count(*pairs),
                    pair_share: *pair_share,
                    funded_usd: *funded_usd,
                    funding_share: *funding_share,
                },
            )
            .collect()
    };
    proto::EquityReport {
        by_region: rows(by_region),
        by_ldc_sids: rows(by_ldc_sids),
        by_objective: rows(by_objective),
    }
}

mod knowledge;
mod preferences;
pub use knowledge::*;
pub use preferences::*;
