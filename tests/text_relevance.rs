//! Text relevance through the API: the words and glossary concepts of a need and an offer decide
//! between offers that tie on everything else, across languages; the explanation names what they
//! share in the need's language; an edit is read at once; a restart ranks the same; and no text,
//! however odd, breaks ranking.

mod common;

use std::collections::BTreeSet;

use capacity_hub::text::glossary::Concept;
use capacity_hub::text::{Language, glossary};
use common::*;
use prost_types::FieldMask;

/// The component under test.
const TEXT: &str = "text_relevance";

/// Its detail when the offer shares no informative word with the need.
const NO_TELLING_WORDS: &str = "shares no telling words with the need";

// ---- the glossary compiled into the hub (data/glossary.tsv) -----------------------------------

/// The glossary's concept whose English terms include `en` (case-insensitive). The test's texts
/// are written with the glossary's terms; this fails early, saying so, if the glossary changed.
#[track_caller]
fn concept_named(en: &str) -> &'static Concept {
    glossary()
        .concepts()
        .iter()
        .find(|c| c.terms(Language::English).iter().any(|t| t.eq_ignore_ascii_case(en)))
        .unwrap_or_else(|| panic!("data/glossary.tsv has no concept with the English term {en:?}"))
}

/// Asserts that a concept has `term` among its terms in `language`.
#[track_caller]
fn assert_has_term(concept: &Concept, language: Language, term: &str) {
    let terms = concept.terms(language);
    assert!(
        terms.iter().any(|t| t.to_lowercase() == term.to_lowercase()),
        "the glossary's concept {} has no {language} term {term:?}: {terms:?}",
        concept.id
    );
}

// ---- records ---------------------------------------------------------------------------------

/// An offer on `themes` by training in Guatemala, for every level, capacity 5, in `languages`.
fn offer_with_text(
    provider: &Actor,
    themes: &[u32],
    languages: &[&str],
    title: &str,
    description: &str,
) -> RegisterOfferRequest {
    RegisterOfferRequest {
        title: title.into(),
        description: description.into(),
        languages: languages.iter().map(|l| l.to_string()).collect(),
        ..offer_request(
            &provider.id,
            themes,
            &[Modality::Training],
            Coverage::Countries(vec!["GTM"]),
        )
    }
}

/// A need of `requester` on `themes`, for training in Guatemala, at national level.
fn need_with_text(
    requester: &Actor,
    themes: &[u32],
    languages: &[&str],
    title: &str,
    description: &str,
) -> SubmitNeedRequest {
    SubmitNeedRequest {
        title: title.into(),
        description: description.into(),
        languages: languages.iter().map(|l| l.to_string()).collect(),
        ..need_request(&requester.id, themes, &[Modality::Training], &["GTM"])
    }
}

fn mask(paths: &[&str]) -> FieldMask {
    FieldMask {
        paths: paths.iter().map(|p| p.to_string()).collect(),
    }
}

async fn rewrite_offer(hub: &TestHub, id: &str, title: &str, description: &str) -> Offer {
    hub.offers()
        .update_offer(UpdateOfferRequest {
            offer: Some(Offer {
                id: id.into(),
                title: title.into(),
                description: description.into(),
                ..Default::default()
            }),
            update_mask: Some(mask(&["title", "description"])),
        })
        .await
        .expect("UpdateOffer succeeds")
        .into_inner()
}

async fn providers(hub: &TestHub, names: &[&str]) -> Vec<Actor> {
    let mut actors = Vec::new();
    for name in names {
        actors.push(hub.register(name, ActorKind::CivilSociety, "").await);
    }
    actors
}

// ---- reading candidates ----------------------------------------------------------------------

fn text(candidate: &MatchCandidate) -> &ScoreComponent {
    component(candidate, TEXT)
}

fn offer_id(candidate: &MatchCandidate) -> &str {
    &candidate.offer.as_ref().expect("candidate offer").id
}

fn summary(candidate: &MatchCandidate) -> &str {
    &candidate.explanation.as_ref().expect("explained").summary
}

/// Checks what every candidate's text relevance must satisfy: a value in [0, 1], its
/// contribution its value times its weight, and one of the two forms of detail.
#[track_caller]
fn assert_text_component_well_formed(candidate: &MatchCandidate) {
    let c = text(candidate);
    assert!(
        c.value.is_finite() && (0.0..=1.0).contains(&c.value),
        "text_relevance {} of {} out of [0, 1]",
        c.value,
        offer_id(candidate)
    );
    assert!(c.weight > 0.0, "text_relevance has weight {}", c.weight);
    assert!(
        (c.contribution - c.value * c.weight).abs() < 1e-9,
        "contribution {} is not value {} x weight {}",
        c.contribution,
        c.value,
        c.weight
    );
    assert!(
        c.detail == NO_TELLING_WORDS || (c.detail.starts_with("mentions ") && c.detail.len() > "mentions ".len()),
        "unexpected text_relevance detail {:?}",
        c.detail
    );
    if c.detail == NO_TELLING_WORDS {
        assert_eq!(c.value, 0.0, "nothing shared, yet a value: {c:?}");
    }
    assert!(
        (0.0..=1.0).contains(&candidate.score) && candidate.score.is_finite(),
        "score {} out of [0, 1]",
        candidate.score
    );
}

/// Asserts that the candidates differ on text relevance alone: every other component has the
/// same value, weight and detail for all of them.
#[track_caller]
fn assert_tie_on_everything_but_text(candidates: &[MatchCandidate]) {
    let others = |candidate: &MatchCandidate| -> Vec<(String, u64, u64, String)> {
        candidate
            .explanation
            .as_ref()
            .expect("explained")
            .components
            .iter()
            .filter(|c| c.name != TEXT)
            .map(|c| (c.name.clone(), c.value.to_bits(), c.weight.to_bits(), c.detail.clone()))
            .collect()
    };
    let first = others(&candidates[0]);
    let names: BTreeSet<&str> = first.iter().map(|(name, ..)| name.as_str()).collect();
    for name in ["theme_coverage", "modality_coverage", "geography", "language", "level"] {
        assert!(names.contains(name), "no component {name} among {names:?}");
    }
    for candidate in &candidates[1..] {
        assert_eq!(
            others(candidate),
            first,
            "{} and {} differ on more than text",
            offer_id(candidate),
            offer_id(&candidates[0])
        );
    }
}

// ---- the tests -------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spanish_need_finds_the_english_offer_on_its_topic_first() {
    let trafficking = concept_named("human trafficking");
    assert_has_term(trafficking, Language::Spanish, "trata de personas");
    let identification = concept_named("victim identification");
    assert_has_term(identification, Language::Spanish, "identificación de víctimas");

    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let guatemala = hub.register("Guatemala", ActorKind::NationalGovernment, "GTM").await;
    let p = providers(
        &hub,
        &["Follow the Money", "Clean Chains", "Safe Harbour", "Frontline Academy"],
    )
    .await;

    // Same objective, modality, coverage, levels, languages and capacity; no partnerships. The
    // offer on the need's topic is registered last, so the tie-break by creation order would
    // put it last.
    let languages = ["en", "es"];
    let finance = hub
        .offer(offer_with_text(
            &p[0],
            &[10],
            &languages,
            "Financial investigations of trafficking networks",
            "We coach prosecutors, police and financial intelligence units to follow the money \
             of traffickers, to freeze their assets and to build cases that hold up in court.",
        ))
        .await;
    let supply_chains = hub
        .offer(offer_with_text(
            &p[1],
            &[10],
            &languages,
            "Due diligence against forced labour in supply chains",
            "We help companies and their buyers to map the suppliers of their supply chains, \
             to audit the recruitment fees paid by workers and to remedy the abuses they find.",
        ))
        .await;
    let shelters = hub
        .offer(offer_with_text(
            &p[2],
            &[10],
            &languages,
            "Shelters for survivors",
            "We advise on the standards, the staffing and the management of safe shelters where \
             survivors of exploitation can rest and recover, with psychosocial care and legal aid.",
        ))
        .await;
    let borders = hub
        .offer(offer_with_text(
            &p[3],
            &[10],
            &languages,
            "Victim identification at border crossings",
            "A five-day course for immigration and border officers on the indicators of human \
             trafficking, on interviewing presumed victims with care and on referring them to \
             the services that protect them.",
        ))
        .await;

    let need = hub
        .submit(need_with_text(
            &guatemala,
            &[10],
            &["es"],
            "Detectar a las víctimas en nuestros puestos fronterizos",
            "Los agentes migratorios de los puestos fronterizos del país no saben reconocer a \
             quienes viajan bajo el control de una red de trata de personas. Solicitamos \
             capacitación en identificación de víctimas y en su derivación a los servicios de \
             protección.",
        ))
        .await;

    let candidates = hub.find_matches(&need.id).await;
    let ids: BTreeSet<&str> = candidates.iter().map(offer_id).collect();
    let registered: BTreeSet<&str> = [&finance, &supply_chains, &shelters, &borders]
        .iter()
        .map(|o| o.id.as_str())
        .collect();
    assert_eq!(ids, registered, "every offer passes the hard filters");
    candidates.iter().for_each(assert_text_component_well_formed);
    assert_tie_on_everything_but_text(&candidates);

    assert_eq!(
        offer_id(&candidates[0]),
        borders.id,
        "the offer on victim identification at borders ranks first; ranking: {:#?}",
        candidates
            .iter()
            .map(|c| (offer_id(c), text(c).value, &text(c).detail))
            .collect::<Vec<_>>()
    );
    let best = text(&candidates[0]);
    for other in &candidates[1..] {
        assert!(
            best.value > text(other).value,
            "text_relevance {} of the right offer is not above {} of {}",
            best.value,
            text(other).value,
            offer_id(other)
        );
        assert!(candidates[0].score > other.score);
    }
    assert!(
        best.detail.starts_with("mentions "),
        "the right offer shares words with the need: {:?}",
        best.detail
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_french_need_s_explanation_names_the_shared_concept() {
    let trafficking = concept_named("human trafficking");
    assert_has_term(trafficking, Language::French, "traite des personnes");
    let french_name = trafficking.name(Language::French).to_string();

    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let requester = hub.register("Guatemala", ActorKind::NationalGovernment, "GTM").await;
    let p = providers(&hub, &["Counter-Trafficking Network", "Harvest Rights"]).await;
    let on_topic = hub
        .offer(offer_with_text(
            &p[0],
            &[10],
            &["en"],
            "Countering human trafficking",
            "Workshops for prosecutors and judges on the law against human trafficking and on \
             cases that reached the courts.",
        ))
        .await;
    hub.offer(offer_with_text(
        &p[1],
        &[10],
        &["en"],
        "Seasonal farm work",
        "Checking contracts and housing of seasonal workers on farms.",
    ))
    .await;

    let need = hub
        .submit(need_with_text(
            &requester,
            &[10],
            &["fr"],
            "Poursuivre les auteurs de traite des personnes",
            "Nos magistrats connaissent mal la loi sur la traite des personnes et peinent à \
             instruire ces affaires.",
        ))
        .await;

    let candidates = hub.find_matches(&need.id).await;
    candidates.iter().for_each(assert_text_component_well_formed);
    let candidate = candidates
        .iter()
        .find(|c| offer_id(c) == on_topic.id)
        .expect("the offer on trafficking is a candidate");
    let detail = &text(candidate).detail;
    assert!(detail.starts_with("mentions "), "{detail:?}");
    assert!(
        detail.contains(&french_name),
        "the detail names the shared concept in French, {french_name:?}: {detail:?}"
    );
    for english in trafficking.terms(Language::English) {
        assert!(
            !detail.contains(english.as_str()),
            "the detail names the concept in English ({english:?}) for a French need: {detail:?}"
        );
    }
    assert!(
        summary(candidate).contains(&french_name),
        "the summary names the shared concept, {french_name:?}: {:?}",
        summary(candidate)
    );
    assert!(
        summary(candidate).starts_with(detail.as_str()),
        "the summary puts the text's detail first: {:?}",
        summary(candidate)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_offer_is_rescored_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let requester = hub.register("Guatemala", ActorKind::NationalGovernment, "GTM").await;
    let p = providers(&hub, &["Consular Partners", "Remit Fair"]).await;
    // The offer off the need's topic comes first, so the tie-break by creation order favours it.
    let consular = hub
        .offer(offer_with_text(
            &p[0],
            &[20],
            &["en"],
            "Consular assistance to nationals abroad",
            "Training consular staff to assist nationals who are detained, sick or in distress abroad.",
        ))
        .await;
    let remittances = hub
        .offer(offer_with_text(
            &p[1],
            &[20],
            &["en"],
            "Lowering the cost of remittances",
            "Advice to central banks on transparent fees for remittances sent by migrants.",
        ))
        .await;
    let need = hub
        .submit(need_with_text(
            &requester,
            &[20],
            &["en"],
            "Cheaper remittances for migrant families",
            "Families who receive remittances lose too much to fees; we want cheaper, faster \
             digital transfers that reach rural villages.",
        ))
        .await;

    let before = hub.find_matches(&need.id).await;
    assert_eq!(offer_ids(&before), [remittances.id.clone(), consular.id.clone()]);
    assert_tie_on_everything_but_text(&before);
    before.iter().for_each(assert_text_component_well_formed);
    assert!(text(&before[0]).value > text(&before[1]).value);
    let consular_before = text(&before[1]).clone();

    // The consular offer becomes one on remittances, in more detail; the other moves away.
    rewrite_offer(
        &hub,
        &consular.id,
        "Remittances: cheaper fees and faster digital transfers for migrant families",
        "We work with money transfer operators and central banks so that migrant families pay \
         lower fees on remittances, receive faster digital transfers on their phones, and can \
         collect them in rural villages; remittances then reach the families who need them.",
    )
    .await;
    rewrite_offer(
        &hub,
        &remittances.id,
        "Labour inspection in agriculture",
        "Training labour inspectors to check working hours and housing on plantations.",
    )
    .await;

    let after = hub.find_matches(&need.id).await;
    after.iter().for_each(assert_text_component_well_formed);
    assert_tie_on_everything_but_text(&after);
    assert_eq!(
        offer_ids(&after),
        [consular.id.clone(), remittances.id.clone()],
        "the rewritten offer ranks first at once: {:#?}",
        after.iter().map(|c| (offer_id(c), text(c))).collect::<Vec<_>>()
    );
    let consular_after = text(&after[0]);
    assert!(
        consular_after.value > consular_before.value,
        "the edited offer's text relevance did not rise: {} then {}",
        consular_before.value,
        consular_after.value
    );
    assert_ne!(consular_after.detail, consular_before.detail);
    assert!(consular_after.value > text(&after[1]).value);
    assert!(after[0].score > after[1].score);
}

/// A ranking as a client sees it: per candidate its offer, score and text relevance.
type Ranking = Vec<(String, f64, f64, String)>;

async fn rankings(hub: &TestHub, needs: &[Need]) -> Vec<Ranking> {
    let mut all = Vec::new();
    for need in needs {
        let candidates = hub.find_matches(&need.id).await;
        candidates.iter().for_each(assert_text_component_well_formed);
        all.push(
            candidates
                .iter()
                .map(|c| (offer_id(c).to_string(), c.score, text(c).value, text(c).detail.clone()))
                .collect(),
        );
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_keeps_the_same_ranking() {
    let dir = tempfile::tempdir().unwrap();
    let mut hub = TestHub::start(dir.path()).await;
    let guatemala = hub.register("Guatemala", ActorKind::NationalGovernment, "GTM").await;
    let honduras = hub.register("Honduras", ActorKind::NationalGovernment, "HND").await;
    let p = providers(
        &hub,
        &[
            "Frontline Academy",
            "Remit Fair",
            "Safe Harbour",
            "Datos Abiertos",
            "Follow the Money",
        ],
    )
    .await;
    hub.partner(&guatemala.id, &p[2].id, PartnershipKind::JointProgramme, 0.6)
        .await;

    let both = &["en", "es"];
    let offers = [
        (
            &p[0],
            &[10, 11][..],
            "Victim identification at border crossings",
            "A course for border officers on the indicators of human trafficking and on referring victims.",
        ),
        (
            &p[1],
            &[20][..],
            "Lowering the cost of remittances",
            "Advice to central banks on transparent fees for remittances sent by migrants.",
        ),
        (
            &p[2],
            &[10, 7][..],
            "Shelters for survivors of trafficking",
            "Standards and management of shelters where survivors of human trafficking recover.",
        ),
        (
            &p[3],
            &[1, 20][..],
            "Datos sobre remesas y migración",
            "Apoyamos a las oficinas de estadística a medir las remesas y la migración laboral.",
        ),
        (
            &p[4],
            &[10][..],
            "Financial investigations of traffickers",
            "Coaching prosecutors to follow the money of trafficking networks.",
        ),
        (
            &p[0],
            &[11][..],
            "Integrated border management",
            "Peer exchange between border agencies on data sharing at crossings.",
        ),
    ];
    let mut registered = Vec::new();
    for (provider, themes, title, description) in offers {
        let mut request = offer_with_text(provider, themes, both, title, description);
        request.countries = vec!["GTM".into(), "HND".into()];
        registered.push(hub.offer(request).await);
    }
    // The collection moves before the restart: an edit and a withdrawal.
    rewrite_offer(
        &hub,
        &registered[4].id,
        "Financial investigations of human trafficking",
        "Coaching prosecutors and financial intelligence units to trace the assets of traffickers \
         and of the networks behind them.",
    )
    .await;
    hub.offers()
        .withdraw_offer(WithdrawOfferRequest {
            id: registered[5].id.clone(),
            reason: "programme ended".into(),
        })
        .await
        .expect("WithdrawOffer succeeds");

    let needs = vec![
        hub.submit(need_with_text(
            &guatemala,
            &[10, 11],
            &["es"],
            "Identificación de víctimas de trata en la frontera",
            "Nuestros agentes fronterizos necesitan capacitación para reconocer la trata de personas.",
        ))
        .await,
        hub.submit(need_with_text(
            &honduras,
            &[20, 1],
            &["es"],
            "Remesas más baratas",
            "Las familias pierden demasiado en comisiones al recibir remesas del extranjero.",
        ))
        .await,
        hub.submit(SubmitNeedRequest {
            countries: vec!["HND".into()],
            ..need_with_text(
                &guatemala,
                &[10, 7, 20],
                &["fr", "en"],
                "Protection des victimes de la traite",
                "Nous voulons des foyers d'accueil pour les victimes de la traite des personnes et \
                 une meilleure coopération avec les procureurs.",
            )
        })
        .await,
        hub.submit(need_with_text(&honduras, &[10, 11, 20, 1, 7], &[], "Border data", ""))
            .await,
    ];

    let before = rankings(&hub, &needs).await;
    assert!(
        before.iter().all(|r| !r.is_empty()),
        "every need has candidates: {before:?}"
    );
    assert!(
        before.iter().flatten().any(|(_, _, value, _)| *value > 0.0),
        "some text is relevant: {before:?}"
    );
    assert!(
        before.iter().flatten().all(|(id, ..)| *id != registered[5].id),
        "a withdrawn offer is no candidate"
    );

    hub.restart().await;
    let after = rankings(&hub, &needs).await;

    for ((need, old), new) in needs.iter().zip(&before).zip(&after) {
        let ids = |r: &Ranking| r.iter().map(|(id, ..)| id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(new), ids(old), "ranking of {} changed across the restart", need.id);
        for ((id, score, value, detail), (_, new_score, new_value, new_detail)) in old.iter().zip(new) {
            assert!(
                (score - new_score).abs() < 1e-9,
                "{}: score of {id} was {score}, is {new_score}",
                need.id
            );
            assert!(
                (value - new_value).abs() < 1e-9,
                "{}: text_relevance of {id} was {value}, is {new_value}",
                need.id
            );
            assert_eq!(detail, new_detail, "{}: text detail of {id}", need.id);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_text_never_fails_ranking() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let requester = hub.register("Guatemala", ActorKind::NationalGovernment, "GTM").await;

    let long_english: String = "Training border officers to identify victims of human trafficking \
                                 and to refer them to protection services. "
        .chars()
        .cycle()
        .take(4_000)
        .collect();
    let long_mixed: String = "مراقبة الحدود Пограничный контроль 边境管理培训 🚀🌍 border, frontera! "
        .chars()
        .cycle()
        .take(4_000)
        .collect();
    let long_word = "x".repeat(4_000);
    let long_chinese: String = "边境管理人口贩运受害者识别".chars().cycle().take(4_000).collect();
    let mixed = "مراقبة الحدود — Пограничный контроль — 边境管理 — 🚀🌍🙂 — Grenzschutz — fronteras";
    let texts: Vec<(&str, Vec<&str>, &str, String)> = vec![
        ("empty description", vec!["en"], "Border training", String::new()),
        (
            "only stop words",
            vec!["en"],
            "The and of",
            "the of and to in a an is are was were".into(),
        ),
        (
            "Spanish stop words",
            vec!["es"],
            "De la",
            "de la que el en y los del se las por un para con".into(),
        ),
        (
            "digits and punctuation",
            vec!["en"],
            "2018 - 2019",
            "1, 2, 3... 42% (2020) -- !!! ??? 10/11/12 #$%&*".into(),
        ),
        ("mixed scripts", vec!["en", "es"], "🚀 边境 Граница حدود", mixed.into()),
        ("mixed scripts, no languages", vec![], "Граница 边境", mixed.into()),
        (
            "Chinese named",
            vec!["zh"],
            "边境管理",
            "边境管理培训，人口贩运受害者识别。".into(),
        ),
        (
            "Arabic and Russian",
            vec!["ar", "ru"],
            "حدود",
            "тренинг пограничников; تدريب حرس الحدود".into(),
        ),
        (
            "an unread language",
            vec!["de"],
            "Grenzschutz",
            "Schulung der Grenzpolizei".into(),
        ),
        ("long English", vec!["en"], "Long", long_english),
        ("long mixed", vec!["en", "ru"], "Long mixed", long_mixed),
        ("one long word", vec!["en"], "Word", long_word),
        ("long Chinese", vec![], "边境", long_chinese),
        ("emoji only", vec!["en"], "🚀🌍", "🙂🙂🙂 ✈️ 🛂".into()),
    ];

    for (label, languages, title, description) in &texts {
        let provider = hub
            .register(&format!("Provider: {label}"), ActorKind::CivilSociety, "")
            .await;
        hub.offer(offer_with_text(&provider, &[11], languages, title, description))
            .await;
    }
    // One ordinary offer, so that ordinary words have a collection to be weighed in.
    let plain = hub.register("Plain provider", ActorKind::CivilSociety, "").await;
    hub.offer(offer_with_text(
        &plain,
        &[11],
        &["en"],
        "Border management training",
        "Training border officers on integrated border management.",
    ))
    .await;

    let mut needs = Vec::new();
    for (label, languages, title, description) in &texts {
        let need = hub
            .submit(need_with_text(&requester, &[11], languages, title, description))
            .await;
        needs.push((label, need));
    }
    for (label, need) in &needs {
        let candidates = hub
            .matches()
            .find_matches(FindMatchesRequest {
                need_id: need.id.clone(),
                limit: 100,
            })
            .await
            .unwrap_or_else(|status| panic!("FindMatches for the need with {label} failed: {status:?}"))
            .into_inner()
            .candidates;
        assert_eq!(
            candidates.len(),
            texts.len() + 1,
            "every offer is a candidate for the need with {label}"
        );
        for candidate in &candidates {
            assert_text_component_well_formed(candidate);
        }
        for pair in candidates.windows(2) {
            assert!(pair[0].score >= pair[1].score, "{label}: not sorted by score");
        }
    }
    // Needs with no word that counts share nothing with any offer.
    for (label, need) in needs
        .iter()
        .filter(|(label, _)| ["only stop words", "digits and punctuation", "emoji only"].contains(label))
    {
        for candidate in hub.find_matches(&need.id).await {
            let c = text(&candidate);
            assert_eq!(
                (c.value, c.detail.as_str()),
                (0.0, NO_TELLING_WORDS),
                "the need with {label} has no telling words, yet {} {:?}",
                offer_id(&candidate),
                c
            );
        }
    }
}
