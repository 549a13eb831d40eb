//! PracticeService, black-box: a practice submitted is published and read back as written;
//! malformed ones are refused naming the field and change nothing; only the author or the admin
//! submits, updates or withdraws one, while anyone reads; a retried submission is one practice;
//! an update replaces exactly the masked fields (all mutable fields for an empty mask) and search
//! follows it; a withdrawal takes a practice out of lists and search; lists filter and page; and
//! a completed match with lessons learned is published as a practice of its two actors.

mod common;

use std::collections::HashSet;

use common::*;
use prost_types::FieldMask;
use tonic::Code;

const MISSING_ACTOR: &str = "actor-999999";
const MISSING_PRACTICE: &str = "practice-999999";

fn mask(paths: &[&str]) -> FieldMask {
    FieldMask {
        paths: paths.iter().map(|p| p.to_string()).collect(),
    }
}

/// An actor and its token.
struct Party {
    actor: Actor,
    token: String,
}

async fn party(hub: &TestHub, name: &str, kind: ActorKind, country: &str, language: &str) -> Party {
    let reply = hub
        .register_with(RegisterActorRequest {
            name: name.into(),
            kind: kind as i32,
            country: country.into(),
            languages: vec![language.into()],
            ..Default::default()
        })
        .await;
    Party {
        actor: reply.actor.expect("RegisterActor returns the actor"),
        token: reply.api_token,
    }
}

/// A practice of the Guatemalan labour ministry, with every field filled.
fn full_practice(author: &Actor, partner: &Actor) -> SubmitPracticeRequest {
    SubmitPracticeRequest {
        author_id: author.id.clone(),
        title: "Ventanilla de empleo temporal en Huehuetenango".into(),
        description: "El Ministerio de Trabajo abrió en 2021 una ventanilla donde los jornaleros que \
                      viajan a Canadá firman su contrato, reciben orientación sobre sus derechos y \
                      registran a sus familias."
            .into(),
        themes: vec![5, 6],
        countries: vec!["GTM".into(), "CAN".into()],
        partner_ids: vec![partner.id.clone()],
        mgi_dimensions: vec![
            MgiDimension::MigrantsRights as i32,
            MgiDimension::SafeOrderlyDignifiedMigration as i32,
        ],
        results: "2.300 contratos firmados en tres temporadas; ninguna queja por cobros de \
                  reclutadores."
            .into(),
        lessons_learned: "Sin intérpretes de mam la orientación no llegaba a las mujeres.".into(),
        links: vec![
            "https://www.mintrabajo.gob.gt/ventanilla-temporal.pdf".into(),
            "http://example.org/informe-2023".into(),
        ],
        languages: vec!["es".into()],
        request_id: String::new(),
    }
}

// ---- submit, get ------------------------------------------------------------------------------

#[tokio::test]
async fn a_submitted_practice_is_published_and_read_back_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let ministry = hub
        .register(
            "Ministerio de Trabajo y Previsión Social",
            ActorKind::NationalGovernment,
            "GTM",
        )
        .await;
    let ilo = hub.register("OIT Centroamérica", ActorKind::UnEntity, "CRI").await;
    let request = full_practice(&ministry, &ilo);
    let practice = hub.publish(request.clone()).await;

    assert!(practice.id.starts_with("practice-"), "{}", practice.id);
    assert_eq!(practice.status, PracticeStatus::Published as i32);
    assert_eq!(practice.author_id, request.author_id);
    assert_eq!(practice.title, request.title);
    assert_eq!(practice.description, request.description);
    assert_eq!(practice.themes, request.themes);
    assert_eq!(practice.countries, request.countries);
    assert_eq!(practice.partner_ids, request.partner_ids);
    assert_eq!(practice.mgi_dimensions, request.mgi_dimensions);
    assert_eq!(practice.results, request.results);
    assert_eq!(practice.lessons_learned, request.lessons_learned);
    assert_eq!(practice.links, request.links);
    assert_eq!(practice.languages, request.languages);
    assert!(practice.match_id.is_empty(), "not from a match: {practice:?}");
    assert_eq!(practice.rating, 0, "only a completed match rates a practice");
    assert!(
        practice.created_at.is_some() && practice.updated_at.is_some(),
        "{practice:?}"
    );

    assert_eq!(
        hub.get_practice(&practice.id).await,
        practice,
        "GetPractice returns what was published"
    );

    // Countries default to the author's.
    let defaulted = hub
        .publish(SubmitPracticeRequest {
            countries: Vec::new(),
            title: "Registro de jornaleros en Quiché".into(),
            ..request
        })
        .await;
    assert_eq!(defaulted.countries, ["GTM"]);
    assert_ne!(defaulted.id, practice.id);

    assert_status(
        hub.practices()
            .get_practice(GetPracticeRequest {
                id: MISSING_PRACTICE.into(),
            })
            .await,
        Code::NotFound,
        MISSING_PRACTICE,
    );
}

// ---- validation ------------------------------------------------------------------------------

#[tokio::test]
async fn malformed_practices_are_refused_naming_the_field_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let ministry = hub
        .register(
            "Ministerio de Trabajo y Previsión Social",
            ActorKind::NationalGovernment,
            "GTM",
        )
        .await;
    let ilo = hub.register("OIT Centroamérica", ActorKind::UnEntity, "CRI").await;
    let base = full_practice(&ministry, &ilo);
    let edit = |f: &dyn Fn(&mut SubmitPracticeRequest)| {
        let mut request = base.clone();
        f(&mut request);
        request
    };

    // (what, request, field the INVALID_ARGUMENT names)
    let invalid: Vec<(&str, SubmitPracticeRequest, &str)> = vec![
        ("empty title", edit(&|r| r.title.clear()), "title"),
        ("blank title", edit(&|r| r.title = "   ".into()), "title"),
        ("title of 201 characters", edit(&|r| r.title = "t".repeat(201)), "title"),
        ("empty description", edit(&|r| r.description.clear()), "description"),
        (
            "description of 4,001 characters",
            edit(&|r| r.description = "d".repeat(4001)),
            "description",
        ),
        ("no objective", edit(&|r| r.themes.clear()), "themes"),
        ("objective 0", edit(&|r| r.themes = vec![0]), "themes"),
        ("objective 24", edit(&|r| r.themes = vec![5, 24]), "themes"),
        (
            "unknown country",
            edit(&|r| r.countries = vec!["XYZ".into()]),
            "countries",
        ),
        (
            "alpha-2 country",
            edit(&|r| r.countries = vec!["GTM".into(), "GT".into()]),
            "countries",
        ),
        (
            "lower-case country",
            edit(&|r| r.countries = vec!["gtm".into()]),
            "countries",
        ),
        (
            "an ftp link",
            edit(&|r| r.links = vec!["ftp://files.example.org/report.pdf".into()]),
            "links",
        ),
        (
            "a link that is no URL",
            edit(&|r| r.links = vec!["informe final".into()]),
            "links",
        ),
        (
            "a javascript: link",
            edit(&|r| r.links = vec!["https://example.org/ok".into(), "javascript:alert(1)".into()]),
            "links",
        ),
        (
            "a bad language code",
            edit(&|r| r.languages = vec!["spanish".into()]),
            "languages",
        ),
        (
            "the author as its own partner",
            edit(&|r| r.partner_ids = vec![r.author_id.clone()]),
            "partner_ids[0]",
        ),
    ];
    let mut client = hub.practices();
    let mut failures = Vec::new();
    for (what, request, field) in invalid {
        match client.submit_practice(request).await {
            Ok(reply) => failures.push(format!(
                "{what}: expected INVALID_ARGUMENT naming {field}, got {reply:?}"
            )),
            Err(status) if status.code() != Code::InvalidArgument || !status.message().contains(field) => failures
                .push(format!(
                    "{what}: expected INVALID_ARGUMENT naming {field}, got {:?}: {}",
                    status.code(),
                    status.message()
                )),
            Err(_) => {}
        }
    }
    // A partner who is not an actor: NOT_FOUND or INVALID_ARGUMENT, naming the field.
    match client
        .submit_practice(edit(&|r| r.partner_ids = vec![MISSING_ACTOR.into()]))
        .await
    {
        Err(status)
            if matches!(status.code(), Code::NotFound | Code::InvalidArgument)
                && status.message().contains("partner_ids") => {}
        other => failures.push(format!(
            "unknown partner: expected NOT_FOUND or INVALID_ARGUMENT naming partner_ids, got {other:?}"
        )),
    }
    // An author who is not an actor.
    match client
        .submit_practice(edit(&|r| r.author_id = MISSING_ACTOR.into()))
        .await
    {
        Err(status) if status.code() == Code::NotFound && status.message().contains(MISSING_ACTOR) => {}
        other => failures.push(format!("unknown author: expected NOT_FOUND naming it, got {other:?}")),
    }
    assert!(
        failures.is_empty(),
        "{} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        hub.all_practices(ListPracticesRequest::default()).await.is_empty(),
        "a refused practice was stored"
    );

    // Lists refuse bad filters as the other lists do.
    for (what, request, field) in [
        (
            "page_size -1",
            ListPracticesRequest {
                page_size: -1,
                ..Default::default()
            },
            "page_size",
        ),
        (
            "an unknown region",
            ListPracticesRequest {
                region: "atlantis".into(),
                ..Default::default()
            },
            "region",
        ),
        (
            "objective 24",
            ListPracticesRequest {
                theme: 24,
                ..Default::default()
            },
            "theme",
        ),
        (
            "a garbage page_token",
            ListPracticesRequest {
                page_token: "not-a-token!".into(),
                ..Default::default()
            },
            "page_token",
        ),
    ] {
        let result = client.list_practices(request).await;
        assert!(
            matches!(&result, Err(s) if s.code() == Code::InvalidArgument && s.message().contains(field)),
            "ListPractices with {what}: expected INVALID_ARGUMENT naming {field}, got {result:?}"
        );
    }
}

// ---- ownership -------------------------------------------------------------------------------

#[tokio::test]
async fn only_the_author_or_the_admin_changes_a_practice_and_anyone_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let author = party(
        &hub,
        "Ministerio de Trabajo",
        ActorKind::NationalGovernment,
        "GTM",
        "es",
    )
    .await;
    let partner = party(&hub, "OIT Centroamérica", ActorKind::UnEntity, "CRI", "es").await;
    let stranger = party(&hub, "Cámara de Comercio", ActorKind::PrivateSector, "HND", "es").await;
    let request = full_practice(&author.actor, &partner.actor);

    let mut as_author = PracticeServiceClient::new(hub.channel_as(&author.token));
    let mut as_partner = PracticeServiceClient::new(hub.channel_as(&partner.token));
    let mut as_stranger = PracticeServiceClient::new(hub.channel_as(&stranger.token));
    let mut anonymous = PracticeServiceClient::new(hub.channel());

    // Submitting for the author.
    assert_status(
        anonymous.submit_practice(request.clone()).await,
        Code::Unauthenticated,
        "",
    );
    assert_status(
        as_stranger.submit_practice(request.clone()).await,
        Code::PermissionDenied,
        "",
    );
    assert_status(
        as_partner.submit_practice(request.clone()).await,
        Code::PermissionDenied,
        "",
    );
    assert!(hub.all_practices(ListPracticesRequest::default()).await.is_empty());
    let practice = as_author
        .submit_practice(request.clone())
        .await
        .expect("the author submits its own practice")
        .into_inner();
    assert_eq!(practice.author_id, author.actor.id);
    let by_admin = hub.publish(request.clone()).await;
    assert_eq!(by_admin.author_id, author.actor.id, "the admin submits for the author");

    // Updating and withdrawing.
    let rename = |title: &str| UpdatePracticeRequest {
        practice: Some(Practice {
            id: practice.id.clone(),
            title: title.into(),
            ..Default::default()
        }),
        update_mask: Some(mask(&["title"])),
    };
    assert_status(
        anonymous.update_practice(rename("Anónimo")).await,
        Code::Unauthenticated,
        "",
    );
    assert_status(
        as_stranger.update_practice(rename("Ajeno")).await,
        Code::PermissionDenied,
        "",
    );
    assert_status(
        as_partner.update_practice(rename("Del socio")).await,
        Code::PermissionDenied,
        "",
    );
    let withdraw = WithdrawPracticeRequest {
        id: practice.id.clone(),
        reason: "no longer current".into(),
    };
    assert_status(
        anonymous.withdraw_practice(withdraw.clone()).await,
        Code::Unauthenticated,
        "",
    );
    assert_status(
        as_stranger.withdraw_practice(withdraw.clone()).await,
        Code::PermissionDenied,
        "",
    );
    assert_status(
        as_partner.withdraw_practice(withdraw.clone()).await,
        Code::PermissionDenied,
        "",
    );
    let unchanged = hub.get_practice(&practice.id).await;
    assert_eq!(unchanged, practice, "refused calls changed the practice");

    let renamed = as_author
        .update_practice(rename("Ventanilla de empleo temporal, segunda fase"))
        .await
        .expect("the author updates its practice")
        .into_inner();
    assert_eq!(renamed.title, "Ventanilla de empleo temporal, segunda fase");
    let renamed = hub
        .practices()
        .update_practice(rename("Ventanilla de empleo temporal, tercera fase"))
        .await
        .expect("the admin updates any practice")
        .into_inner();
    assert_eq!(renamed.title, "Ventanilla de empleo temporal, tercera fase");

    // Reads are open to everyone, without a token.
    let read = anonymous
        .get_practice(GetPracticeRequest {
            id: practice.id.clone(),
        })
        .await
        .expect("GetPractice is open")
        .into_inner();
    assert_eq!(read.title, "Ventanilla de empleo temporal, tercera fase");
    let listed = anonymous
        .list_practices(ListPracticesRequest {
            author_id: author.actor.id.clone(),
            ..Default::default()
        })
        .await
        .expect("ListPractices is open")
        .into_inner()
        .practices;
    let ids: HashSet<String> = listed.into_iter().map(|p| p.id).collect();
    assert_eq!(ids, HashSet::from([practice.id.clone(), by_admin.id.clone()]));

    // A reason is capped as every note is, and a refused withdrawal changes nothing.
    let refused = as_author
        .withdraw_practice(WithdrawPracticeRequest {
            reason: "r".repeat(1_001),
            ..withdraw.clone()
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(refused.message().starts_with("reason:"), "{}", refused.message());
    let withdrawn = as_author
        .withdraw_practice(withdraw)
        .await
        .expect("the author withdraws its practice")
        .into_inner();
    assert_eq!(withdrawn.status, PracticeStatus::Withdrawn as i32);
    let withdrawn = hub
        .practices()
        .withdraw_practice(WithdrawPracticeRequest {
            id: by_admin.id.clone(),
            reason: "duplicate".into(),
        })
        .await
        .expect("the admin withdraws any practice")
        .into_inner();
    assert_eq!(withdrawn.status, PracticeStatus::Withdrawn as i32);
}

// ---- idempotency -----------------------------------------------------------------------------

#[tokio::test]
async fn a_retried_submission_returns_the_first_practice() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let ministry = hub
        .register(
            "Ministerio de Trabajo y Previsión Social",
            ActorKind::NationalGovernment,
            "GTM",
        )
        .await;
    let ilo = hub.register("OIT Centroamérica", ActorKind::UnEntity, "CRI").await;
    let request = SubmitPracticeRequest {
        request_id: "ventanilla-2023".into(),
        ..full_practice(&ministry, &ilo)
    };
    let first = hub.publish(request.clone()).await;
    let again = hub.publish(request.clone()).await;
    assert_eq!(again, first, "a retry returns the first practice");
    assert_eq!(hub.all_practices(ListPracticesRequest::default()).await.len(), 1);

    // Another request_id is another practice.
    let second = hub
        .publish(SubmitPracticeRequest {
            request_id: "ventanilla-2024".into(),
            ..request.clone()
        })
        .await;
    assert_ne!(second.id, first.id);

    // The same request_id from another author is that author's own practice.
    let ilo_practice = hub
        .publish(SubmitPracticeRequest {
            author_id: ilo.id.clone(),
            partner_ids: vec![ministry.id.clone()],
            ..request
        })
        .await;
    assert_eq!(ilo_practice.author_id, ilo.id);
    assert!(ilo_practice.id != first.id && ilo_practice.id != second.id);
    assert_eq!(hub.all_practices(ListPracticesRequest::default()).await.len(), 3);
}

// ---- update ----------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_replaces_exactly_the_masked_fields_and_search_follows() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let nuevo_leon = hub
        .register("Gobierno de Nuevo León", ActorKind::LocalAuthority, "MEX")
        .await;
    let acnur = hub.register("ACNUR México", ActorKind::UnEntity, "MEX").await;
    let original = hub
        .publish(SubmitPracticeRequest {
            partner_ids: vec![acnur.id.clone()],
            mgi_dimensions: vec![MgiDimension::WellbeingOfMigrants as i32],
            results: "600 refugees met 85 employers; 140 were hired within a month.".into(),
            lessons_learned: "Employers wanted proof of work permits on the spot.".into(),
            links: vec!["https://example.org/job-fairs-2022".into()],
            ..written_practice(
                &nuevo_leon.id,
                &[16],
                &["MEX"],
                "en",
                "Job fairs for refugees in Monterrey",
                "With the municipal employment office we held four job fairs where refugees met \
                 employers; interpreters of Haitian Creole were on hand at every stand.",
            )
        })
        .await;
    hub.wait_until_found(search_request("Creole"), RecordKind::Practice, &original.id)
        .await;

    // Masked fields only: title and links change, everything else stays.
    let sent = Practice {
        id: original.id.clone(),
        title: "Job fairs for refugees in Monterrey and Saltillo".into(),
        description: "Not in the mask: must not be written.".into(),
        themes: vec![8],
        links: vec!["https://example.org/job-fairs-2023".into()],
        ..Default::default()
    };
    let updated = hub
        .practices()
        .update_practice(UpdatePracticeRequest {
            practice: Some(sent.clone()),
            update_mask: Some(mask(&["title", "links"])),
        })
        .await
        .expect("UpdatePractice with a mask")
        .into_inner();
    let expected = Practice {
        title: sent.title.clone(),
        links: sent.links.clone(),
        updated_at: updated.updated_at,
        ..original.clone()
    };
    assert_eq!(updated, expected, "only title and links change");
    assert_eq!(hub.get_practice(&original.id).await, updated);

    // An empty mask replaces every mutable field: a practice with only a title lacks the
    // required description and objectives.
    assert_status(
        hub.practices()
            .update_practice(UpdatePracticeRequest {
                practice: Some(Practice {
                    id: original.id.clone(),
                    title: "Only a title".into(),
                    ..Default::default()
                }),
                update_mask: None,
            })
            .await,
        Code::InvalidArgument,
        "description",
    );
    let replacement = Practice {
        id: original.id.clone(),
        author_id: nuevo_leon.id.clone(),
        title: "Job fairs with the car parts industry in Saltillo".into(),
        description: "Together with the state employment service we ran job fairs in Saltillo, where \
                      refugees met recruiters from the car parts industry."
            .into(),
        themes: vec![16, 18],
        countries: vec!["MEX".into()],
        partner_ids: Vec::new(),
        mgi_dimensions: vec![MgiDimension::Partnerships as i32],
        results: "90 hired.".into(),
        lessons_learned: "Recruiters came back when we sorted papers beforehand.".into(),
        links: Vec::new(),
        languages: vec!["en".into()],
        ..Default::default()
    };
    let replaced = hub
        .practices()
        .update_practice(UpdatePracticeRequest {
            practice: Some(replacement.clone()),
            update_mask: Some(FieldMask::default()),
        })
        .await
        .expect("UpdatePractice with an empty mask")
        .into_inner();
    let expected = Practice {
        title: replacement.title.clone(),
        description: replacement.description.clone(),
        themes: replacement.themes.clone(),
        countries: replacement.countries.clone(),
        partner_ids: Vec::new(),
        mgi_dimensions: replacement.mgi_dimensions.clone(),
        results: replacement.results.clone(),
        lessons_learned: replacement.lessons_learned.clone(),
        links: Vec::new(),
        languages: replacement.languages.clone(),
        updated_at: replaced.updated_at,
        ..original.clone()
    };
    assert_eq!(
        replaced, expected,
        "an empty mask replaces every mutable field and only those"
    );

    // Search follows: the old description's word goes, the new one's comes.
    hub.wait_until_found(
        search_request("Saltillo recruiters"),
        RecordKind::Practice,
        &original.id,
    )
    .await;
    hub.wait_until_gone(search_request("Creole"), RecordKind::Practice, &original.id)
        .await;

    // Bad updates are refused naming the field, and change nothing.
    let before = hub.get_practice(&original.id).await;
    let update = |paths: &[&str], edit: &dyn Fn(&mut Practice)| {
        let mut practice = before.clone();
        edit(&mut practice);
        UpdatePracticeRequest {
            practice: Some(practice),
            update_mask: Some(mask(paths)),
        }
    };
    let cases: Vec<(&str, UpdatePracticeRequest, Code, &str)> = vec![
        (
            "an unknown path",
            update(&["title", "colour"], &|p| p.title = "Renamed".into()),
            Code::InvalidArgument,
            "update_mask",
        ),
        (
            "the rating",
            update(&["rating"], &|p| p.rating = 5),
            Code::InvalidArgument,
            "rating",
        ),
        (
            "an empty title",
            update(&["title"], &|p| p.title.clear()),
            Code::InvalidArgument,
            "title",
        ),
        (
            "objective 24",
            update(&["themes"], &|p| p.themes = vec![24]),
            Code::InvalidArgument,
            "themes",
        ),
        (
            "an ftp link",
            update(&["links"], &|p| p.links = vec!["ftp://example.org/x".into()]),
            Code::InvalidArgument,
            "links",
        ),
        (
            "an unknown partner",
            update(&["partner_ids"], &|p| p.partner_ids = vec![MISSING_ACTOR.into()]),
            Code::NotFound,
            "partner_ids",
        ),
        (
            "an unknown practice",
            update(&["title"], &|p| p.id = MISSING_PRACTICE.into()),
            Code::NotFound,
            MISSING_PRACTICE,
        ),
    ];
    let mut failures = Vec::new();
    for (what, request, code, needle) in cases {
        match hub.practices().update_practice(request).await {
            // An unknown partner may be NOT_FOUND or INVALID_ARGUMENT; either names the field.
            Err(status)
                if (status.code() == code || (needle == "partner_ids" && status.code() == Code::InvalidArgument))
                    && status.message().contains(needle) => {}
            other => failures.push(format!("{what}: expected {code:?} naming {needle}, got {other:?}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(
        hub.get_practice(&original.id).await,
        before,
        "a refused update changed the practice"
    );

    // The rating is not the client's to set, not even through an empty mask.
    let result = hub
        .practices()
        .update_practice(UpdatePracticeRequest {
            practice: Some(Practice {
                rating: 5,
                match_id: "match-1".into(),
                ..before.clone()
            }),
            update_mask: None,
        })
        .await;
    match result {
        Ok(reply) => {
            let reply = reply.into_inner();
            assert_eq!(
                (reply.rating, reply.match_id.as_str()),
                (0, ""),
                "a client set the rating"
            );
        }
        Err(status) => assert_eq!(status.code(), Code::InvalidArgument, "{status:?}"),
    }
    let after = hub.get_practice(&original.id).await;
    assert_eq!(
        (after.rating, after.match_id.as_str()),
        (0, ""),
        "a client set the rating"
    );
}

// ---- withdraw --------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawn_practice_leaves_lists_and_search_but_can_still_be_read() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let sierra_leone = hub
        .register("Ministry of Social Welfare", ActorKind::NationalGovernment, "SLE")
        .await;
    let practice = hub
        .publish(written_practice(
            &sierra_leone.id,
            &[21],
            &["SLE"],
            "en",
            "Reintegration grants for returnees in Kenema",
            "Returnees from Libya received small grants and mentoring to start tailoring and \
             motorbike repair businesses in Kenema district.",
        ))
        .await;
    let other = hub
        .publish(written_practice(
            &sierra_leone.id,
            &[21],
            &["SLE"],
            "en",
            "Family tracing for returnees in Makeni",
            "Social workers traced families before returnees landed, so that nobody arrived to an \
             empty house in Makeni.",
        ))
        .await;
    hub.wait_until_found(search_request("tailoring"), RecordKind::Practice, &practice.id)
        .await;

    let withdrawn = hub
        .practices()
        .withdraw_practice(WithdrawPracticeRequest {
            id: practice.id.clone(),
            reason: "replaced by the 2024 evaluation".into(),
        })
        .await
        .expect("WithdrawPractice")
        .into_inner();
    assert_eq!(withdrawn.status, PracticeStatus::Withdrawn as i32);
    assert_eq!(withdrawn.id, practice.id);
    assert_eq!(withdrawn.title, practice.title);

    // GetPractice still returns it; lists and search no longer do.
    assert_eq!(
        hub.get_practice(&practice.id).await.status,
        PracticeStatus::Withdrawn as i32
    );
    let listed: Vec<String> = hub
        .all_practices(ListPracticesRequest::default())
        .await
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(listed, vec![other.id], "lists show published practices only");
    hub.wait_until_gone(search_request("tailoring"), RecordKind::Practice, &practice.id)
        .await;

    // Twice is a failed precondition; so is updating it; an unknown one is not found.
    let again = WithdrawPracticeRequest {
        id: practice.id.clone(),
        reason: "again".into(),
    };
    let status = assert_status(
        hub.practices().withdraw_practice(again).await,
        Code::FailedPrecondition,
        "",
    );
    assert_eq!(reason_of(&status), "PRACTICE_WITHDRAWN");
    assert_status(
        hub.practices()
            .update_practice(UpdatePracticeRequest {
                practice: Some(Practice {
                    id: practice.id.clone(),
                    title: "Reintegration grants, revised".into(),
                    ..Default::default()
                }),
                update_mask: Some(mask(&["title"])),
            })
            .await,
        Code::FailedPrecondition,
        "",
    );
    assert_status(
        hub.practices()
            .withdraw_practice(WithdrawPracticeRequest {
                id: MISSING_PRACTICE.into(),
                reason: String::new(),
            })
            .await,
        Code::NotFound,
        MISSING_PRACTICE,
    );
    assert_eq!(hub.get_practice(&practice.id).await.title, practice.title);
}

// ---- lists -----------------------------------------------------------------------------------

#[tokio::test]
async fn lists_filter_by_author_theme_country_and_region_and_page_oldest_first() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let guatemala = hub
        .register("Ministerio de Trabajo", ActorKind::NationalGovernment, "GTM")
        .await;
    let senegal = hub
        .register(
            "Direction générale des Sénégalais de l'extérieur",
            ActorKind::NationalGovernment,
            "SEN",
        )
        .await;
    let mut ids = Vec::new();
    let rows: [(&Actor, &[u32], &[&str]); 5] = [
        (&guatemala, &[6], &["GTM"]),
        (&guatemala, &[10], &["GTM", "HND"]),
        (&senegal, &[10], &["SEN"]),
        (&senegal, &[6, 10], &["MLI"]),
        (&guatemala, &[6], &[]),
    ];
    for (author, themes, countries) in rows {
        ids.push(hub.publish(practice_request(&author.id, themes, countries)).await.id);
    }
    let gone = hub.publish(practice_request(&senegal.id, &[10], &["SEN"])).await;
    hub.practices()
        .withdraw_practice(WithdrawPracticeRequest {
            id: gone.id.clone(),
            reason: "duplicate".into(),
        })
        .await
        .unwrap();
    let [p1, p2, p3, p4, p5] = [0, 1, 2, 3, 4].map(|i| ids[i].clone());

    let cases: Vec<(&str, ListPracticesRequest, Vec<String>)> = vec![
        ("no filter", ListPracticesRequest::default(), ids.clone()),
        (
            "author Guatemala",
            ListPracticesRequest {
                author_id: guatemala.id.clone(),
                ..Default::default()
            },
            vec![p1.clone(), p2.clone(), p5.clone()],
        ),
        (
            "theme 10",
            ListPracticesRequest {
                theme: 10,
                ..Default::default()
            },
            vec![p2.clone(), p3.clone(), p4.clone()],
        ),
        (
            "theme 6 by Senegal",
            ListPracticesRequest {
                theme: 6,
                author_id: senegal.id.clone(),
                ..Default::default()
            },
            vec![p4.clone()],
        ),
        (
            "country GTM (the author's country by default)",
            ListPracticesRequest {
                country: "GTM".into(),
                ..Default::default()
            },
            vec![p1.clone(), p2.clone(), p5.clone()],
        ),
        (
            "country HND",
            ListPracticesRequest {
                country: "HND".into(),
                ..Default::default()
            },
            vec![p2.clone()],
        ),
        (
            "region central_america",
            ListPracticesRequest {
                region: "central_america".into(),
                ..Default::default()
            },
            vec![p1.clone(), p2.clone(), p5.clone()],
        ),
        (
            "region western_africa",
            ListPracticesRequest {
                region: "western_africa".into(),
                ..Default::default()
            },
            vec![p3.clone(), p4.clone()],
        ),
        (
            "region africa, theme 6",
            ListPracticesRequest {
                region: "africa".into(),
                theme: 6,
                ..Default::default()
            },
            vec![p4.clone()],
        ),
    ];
    for (what, request, expected) in cases {
        let got: Vec<String> = hub.all_practices(request).await.into_iter().map(|p| p.id).collect();
        assert_eq!(got, expected, "{what}: published practices, oldest first");
    }

    // Pages of 2: three pages, every practice once, in the same order.
    let mut client = hub.practices();
    let mut seen = Vec::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let page = client
            .list_practices(ListPracticesRequest {
                page_size: 2,
                page_token: token,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        pages += 1;
        assert!(page.practices.len() <= 2);
        seen.extend(page.practices.into_iter().map(|p| p.id));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
        assert!(pages < 10, "paging does not end");
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, ids);
}

// ---- completed matches -----------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_completed_match_with_lessons_is_published_as_a_practice_of_both_actors() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let honduras = hub
        .register(
            "Dirección de Niñez, Adolescencia y Familia",
            ActorKind::NationalGovernment,
            "HND",
        )
        .await;
    let unicef = hub
        .register("UNICEF Oficina Regional", ActorKind::UnEntity, "PAN")
        .await;
    let confirmed = |title: &'static str| {
        let hub = &hub;
        let (honduras, unicef) = (&honduras, &unicef);
        async move {
            let need = hub
                .submit(written_need(
                    &honduras.id,
                    &[7],
                    &["HND"],
                    "es",
                    title,
                    "Las educadoras del centro de San Pedro Sula reciben a niñas y niños retornados y \
                     necesitan formación en entrevistas adaptadas a su edad.",
                ))
                .await;
            let offer = hub
                .offer(written_offer(
                    &unicef.id,
                    &[7],
                    &["HND"],
                    "es",
                    "Formación en protección de niñez retornada",
                    "Curso de tres días para personal de centros de recepción.",
                ))
                .await;
            let proposed = hub.propose(&need.id, &offer.id).await;
            hub.respond(&proposed.id, &honduras.id, true).await;
            hub.respond(&proposed.id, &unicef.id, true).await;
            proposed.id
        }
    };
    // Without lessons learned: nothing to publish.
    let silent = confirmed("Entrevistas con niñez retornada, primer grupo").await;
    hub.complete(&silent, &honduras.id, 4, "").await;
    let lessons = "Las entrevistas salieron mejor con una psicóloga presente; la búsqueda de \
                   familiares se atrasó porque los registros consulares no estaban digitalizados.";
    let taught = confirmed("Entrevistas con niñez retornada, segundo grupo").await;
    let completed = hub.complete(&taught, &honduras.id, 4, lessons).await;
    assert_eq!(completed.status, MatchStatus::Completed as i32);

    let practice = eventually("the completed match is published as a practice", async || {
        let practices = hub
            .all_practices(ListPracticesRequest {
                author_id: honduras.id.clone(),
                ..Default::default()
            })
            .await;
        practices
            .iter()
            .find(|p| p.match_id == taught)
            .cloned()
            .ok_or_else(|| format!("{practices:#?}"))
    })
    .await;
    assert_eq!(practice.status, PracticeStatus::Published as i32);
    assert_eq!(practice.author_id, honduras.id, "the requester is the author");
    assert!(
        practice.partner_ids.contains(&unicef.id),
        "the provider is a partner: {practice:?}"
    );
    assert_eq!(practice.rating, 4, "the completion's rating");
    assert_eq!(practice.lessons_learned, lessons);
    assert!(
        !practice.title.is_empty() && !practice.themes.is_empty(),
        "{practice:?}"
    );
    assert_eq!(hub.get_practice(&practice.id).await, practice);

    let all = hub.all_practices(ListPracticesRequest::default()).await;
    assert!(
        all.iter().all(|p| p.match_id != silent),
        "a completion without lessons learned published a practice: {all:#?}"
    );
    assert_eq!(all.len(), 1, "{all:#?}");
}
