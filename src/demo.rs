//! The demo world: the actors, offers, needs and partnerships reported at the two 2018
//! International Dialogue on Migration workshops (see DOMAIN.md), kept as data in
//! `demo/world.json` and loaded through the same hub methods the API uses, so every record passes
//! the same validation.

use std::collections::HashMap;
use std::fmt;

use serde::Deserialize;

use crate::domain::{
    ActorKind, ActorProfile, Coverage, DateWindow, Level, Modality, NeedSpec, Objective, OfferSpec, PartnershipKind,
    PartnershipSpec, Urgency,
};
use crate::hub::{Hub, HubError};

const WORLD: &str = include_str!("demo/world.json");

/// Why the demo world could not load.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("demo/world.json is malformed: {0}")]
    Malformed(#[from] serde_json::Error),
    #[error("demo/world.json names an unknown actor key '{0}'")]
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
    let world: World = serde_json::from_str(WORLD)?;
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
    for offer in world.offers {
        load_offer(hub, &keys, offer).await?;
    }
    for need in world.needs {
        load_need(hub, &keys, need).await?;
    }
    Ok(summary)
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

async fn load_offer(hub: &Hub, keys: &Keys, offer: DemoOffer) -> Result<(), DemoError> {
    let DemoOffer {
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
    hub.register_offer(keys.id(&provider)?, spec, &request_id)
        .await
        .map_err(refused(&request_id))?;
    Ok(())
}

async fn load_need(hub: &Hub, keys: &Keys, need: DemoNeed) -> Result<(), DemoError> {
    let DemoNeed {
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
    hub.submit_need(keys.id(&requester)?, spec, &request_id)
        .await
        .map_err(refused(&request_id))?;
    Ok(())
}
