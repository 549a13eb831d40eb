//! The demo world: the actors, offers, needs and partnerships reported at the two 2018
//! International Dialogue on Migration workshops (see DOMAIN.md), kept as data in
//! `demo/world.json` and loaded through the same hub methods the API uses, so every record passes
//! the same validation. The labelled relevance set (`data/relevance/`, see [`crate::quality`]) is
//! written in the same format, with keys on offers and needs and each need's graded offers.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use serde::Deserialize;

use crate::domain::{
    ActorKind, ActorProfile, Coverage, DateWindow, Level, Modality, NeedSpec, Objective, OfferSpec, PartnershipKind,
    PartnershipSpec, Urgency,
};
use crate::hub::{Hub, HubError};

const WORLD: &str = include_str!("demo/world.json");

/// Why a world file could not load.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("the world file is malformed: {0}")]
    Malformed(#[from] serde_json::Error),
    #[error("the world file names an unknown actor key '{0}'")]
    UnknownKey(String),
    #[error("demo record '{record}' was refused: {source}")]
    Refused { record: String, source: HubError },
}

/// How many records the demo loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoSummary {
    pub actors: usize,
    pub partnerships: usize,
    pub offers: usize,
    pub needs: usize,
}

impl fmt::Display for DemoSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let DemoSummary {
            actors,
            partnerships,
            offers,
            needs,
        } = self;
        write!(
            f,
            "{actors} actors, {partnerships} partnerships, {offers} offers, {needs} needs"
        )
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct World {
    actors: Vec<DemoActor>,
    partnerships: Vec<DemoPartnership>,
    offers: Vec<DemoOffer>,
    needs: Vec<DemoNeed>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoActor {
    /// Short name the other records use to refer to this actor.
    key: String,
    name: String,
    kind: ActorKind,
    country: String,
    languages: Vec<String>,
    description: String,
    contact: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoPartnership {
    a: String,
    b: String,
    kind: PartnershipKind,
    trust: f64,
    since: String,
    note: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoOffer {
    /// How a labelled set's needs refer to the offer.
    #[serde(default)]
    key: Option<String>,
    provider: String,
    title: String,
    description: String,
    themes: Vec<Objective>,
    modalities: Vec<Modality>,
    levels: Vec<Level>,
    countries: Vec<String>,
    regions: Vec<String>,
    worldwide: bool,
    languages: Vec<String>,
    capacity: u32,
    funding_usd: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoNeed {
    /// A labelled set's name for the need.
    #[serde(default)]
    key: Option<String>,
    /// A labelled set's grades: offer key to 2 (the right offer) or 1 (useful); others are 0.
    #[serde(default)]
    labels: BTreeMap<String, u8>,
    requester: String,
    title: String,
    description: String,
    themes: Vec<Objective>,
    modalities: Vec<Modality>,
    level: Level,
    countries: Vec<String>,
    languages: Vec<String>,
    budget_usd: Option<i64>,
    urgency: Urgency,
}

/// Actor keys of the demo file mapped to the ids the hub gave them.
struct Keys(HashMap<String, String>);

impl Keys {
    fn id(&self, key: &str) -> Result<&str, DemoError> {
        self.0
            .get(key)
            .map(String::as_str)
            .ok_or_else(|| DemoError::UnknownKey(key.to_string()))
    }
}

fn refused(record: &str) -> impl FnOnce(HubError) -> DemoError + '_ {
    move |source| DemoError::Refused {
        record: record.to_string(),
        source,
    }
}

/// Loads the demo world into `hub` and says how much it loaded.
pub async fn load(hub: &Hub) -> Result<DemoSummary, DemoError> {
    Ok(load_world(hub, WORLD).await?.summary)
}

/// What a world file loaded: the counts, and the ids the hub gave its keyed offers and needs.
#[derive(Debug, Clone)]
pub struct LoadedWorld {
    pub summary: DemoSummary,
    /// Offer key to offer id.
    pub offers: HashMap<String, String>,
    /// Keyed needs in the file's order: key, need id and grades by offer key.
    pub needs: Vec<(String, String, BTreeMap<String, u8>)>,
}

/// Loads a world file (the demo world's format) into `hub`.
pub async fn load_world(hub: &Hub, json: &str) -> Result<LoadedWorld, DemoError> {
    let world: World = serde_json::from_str(json)?;
    let keys = load_actors(hub, world.actors).await?;
    let summary = DemoSummary {
        actors: keys.0.len(),
        partnerships: world.partnerships.len(),
        offers: world.offers.len(),
        needs: world.needs.len(),
    };
    for partnership in world.partnerships {
        load_partnership(hub, &keys, partnership).await?;
    }
    let mut loaded = LoadedWorld {
        summary,
        offers: HashMap::new(),
        needs: Vec::new(),
    };
    for offer in world.offers {
        let key = offer.key.clone();
        let id = load_offer(hub, &keys, offer).await?;
        if let Some(key) = key {
            loaded.offers.insert(key, id);
        }
    }
    for need in world.needs {
        let (key, labels) = (need.key.clone(), need.labels.clone());
        let id = load_need(hub, &keys, need).await?;
        if let Some(key) = key {
            loaded.needs.push((key, id, labels));
        }
    }
    Ok(loaded)
}

async fn load_actors(hub: &Hub, actors: Vec<DemoActor>) -> Result<Keys, DemoError> {
    let mut keys = HashMap::new();
    for DemoActor {
        key,
        name,
        kind,
        country,
        languages,
        description,
        contact,
    } in actors
    {
        let country = (!country.is_empty()).then_some(country);
        let profile = ActorProfile {
            name,
            kind,
            country,
            languages,
            description,
            contact,
        };
        let (actor, _token) = hub
            .register_actor(profile, &format!("demo:{key}"))
            .await
            .map_err(refused(&key))?;
        keys.insert(key, actor.id);
    }
    Ok(Keys(keys))
}

async fn load_partnership(hub: &Hub, keys: &Keys, partnership: DemoPartnership) -> Result<(), DemoError> {
    let DemoPartnership {
        a,
        b,
        kind,
        trust,
        since,
        note,
    } = partnership;
    let record = format!("{a}-{b}");
    let since = DateWindow::parse(&since, "")
        .map_err(|(_, rule)| refused(&record)(crate::domain::Violations::single("since", rule).into()))?
        .start;
    let spec = PartnershipSpec {
        actor_a: keys.id(&a)?.to_string(),
        actor_b: keys.id(&b)?.to_string(),
        kind,
        trust,
        since,
        note,
        claimed_by: None,
    };
    hub.add_partnership(spec, &format!("demo:{record}:{kind}"))
        .await
        .map_err(refused(&record))?;
    Ok(())
}

async fn load_offer(hub: &Hub, keys: &Keys, offer: DemoOffer) -> Result<String, DemoError> {
    let DemoOffer {
        key: _,
        provider,
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
    } = offer;
    let coverage = Coverage {
        countries,
        areas: regions,
        worldwide,
    };
    let spec = OfferSpec {
        title,
        description,
        themes,
        modalities,
        levels,
        coverage,
        languages,
        capacity,
        funding_usd,
        window: DateWindow::default(),
    };
    let request_id = format!("demo:offer:{provider}:{}", spec.title);
    let offer = hub
        .register_offer(keys.id(&provider)?, spec, &request_id)
        .await
        .map_err(refused(&request_id))?;
    Ok(offer.id)
}

async fn load_need(hub: &Hub, keys: &Keys, need: DemoNeed) -> Result<String, DemoError> {
    let DemoNeed {
        key: _,
        labels: _,
        requester,
        title,
        description,
        themes,
        modalities,
        level,
        countries,
        languages,
        budget_usd,
        urgency,
    } = need;
    let spec = NeedSpec {
        title,
        description,
        themes,
        modalities,
        level,
        countries,
        languages,
        budget_usd,
        urgency,
        window: DateWindow::default(),
    };
    let request_id = format!("demo:need:{requester}:{}", spec.title);
    let need = hub
        .submit_need(keys.id(&requester)?, spec, &request_id)
        .await
        .map_err(refused(&request_id))?;
    Ok(need.id)
}
