//! Conversion for the knowledge platform: practices, search and related items.

use super::{MaskedEdit, ProtoEnum, UnknownCode, enum_list, id_filter, objective_filter, objectives, timestamp};
use crate::domain::validation::count_or_default;
use crate::domain::{Practice, PracticeSpec, Violations};
use crate::hub::{PracticeFilter, RelatedItem};
use crate::proto;
use crate::search::{SearchHit, SearchPage, SearchRequest};
use crate::text::Language;

proto_enum!(
    crate::domain::PracticeStatus,
    PracticeStatus,
    "a practice status",
    [Published, Withdrawn]
);
proto_enum!(
    crate::search::RecordKind,
    RecordKind,
    "a record kind (need, offer, practice, actor)",
    [Need, Offer, Practice, Actor]
);
proto_enum!(
    crate::hub::RelatedKind,
    RelatedKind,
    "a related kind",
    [PastNeed, Practice, OpenNeed]
);

const PRACTICE_FIELDS: &[&str] = &[
    "title",
    "description",
    "themes",
    "countries",
    "partner_ids",
    "mgi_dimensions",
    "results",
    "lessons_learned",
    "links",
    "languages",
];

fn set_practice_field(
    spec: &mut PracticeSpec,
    path: &str,
    practice: &proto::Practice,
    prefix: &str,
    violations: &mut Violations,
) {
    let field = format!("{prefix}{path}");
    match path {
        "title" => spec.title.clone_from(&practice.title),
        "description" => spec.description.clone_from(&practice.description),
        "themes" => spec.themes = objectives(&field, &practice.themes, violations),
        "countries" => spec.countries.clone_from(&practice.countries),
        "partner_ids" => spec.partner_ids.clone_from(&practice.partner_ids),
        "mgi_dimensions" => spec.mgi_dimensions = enum_list(&field, &practice.mgi_dimensions, violations),
        "results" => spec.results.clone_from(&practice.results),
        "lessons_learned" => spec.lessons_learned.clone_from(&practice.lessons_learned),
        "links" => spec.links.clone_from(&practice.links),
        "languages" => spec.languages.clone_from(&practice.languages),
        _ => {}
    }
}

/// The author, spec and idempotency key of a SubmitPractice request.
pub fn submit_practice(request: proto::SubmitPracticeRequest) -> Result<(String, PracticeSpec, String), Violations> {
    let proto::SubmitPracticeRequest {
        author_id,
        title,
        description,
        themes,
        countries,
        partner_ids,
        mgi_dimensions,
        results,
        lessons_learned,
        links,
        languages,
        request_id,
    } = request;
    let practice = proto::Practice {
        title,
        description,
        themes,
        countries,
        partner_ids,
        mgi_dimensions,
        results,
        lessons_learned,
        links,
        languages,
        ..proto::Practice::default()
    };
    let mut violations = Violations::default();
    violations.check(!author_id.is_empty(), "author_id", "must name the author");
    let mut spec = PracticeSpec::default();
    for path in PRACTICE_FIELDS {
        set_practice_field(&mut spec, path, &practice, "", &mut violations);
    }
    violations.into_result().map(|()| (author_id, spec, request_id))
}

/// The id and the spec edit of an UpdatePractice request.
pub fn update_practice(
    request: proto::UpdatePracticeRequest,
) -> Result<(String, MaskedEdit<proto::Practice>), Violations> {
    let proto::UpdatePracticeRequest { practice, update_mask } = request;
    let edit = MaskedEdit::new(practice, update_mask, "practice", PRACTICE_FIELDS)?;
    Ok((edit.values.id.clone(), edit))
}

impl MaskedEdit<proto::Practice> {
    /// Applies the edit to a practice's spec.
    pub fn apply(&self, spec: &mut PracticeSpec) -> Result<(), Violations> {
        self.apply_with(spec, set_practice_field)
    }
}

/// The filter of a ListPractices request, with its page size and token.
pub fn list_practices(
    request: proto::ListPracticesRequest,
) -> Result<(PracticeFilter, i32, Option<String>), Violations> {
    let proto::ListPracticesRequest {
        author_id,
        theme,
        country,
        region,
        page_size,
        page_token,
    } = request;
    let mut violations = Violations::default();
    let filter = PracticeFilter {
        actor_id: id_filter(author_id),
        theme: objective_filter("theme", theme, &mut violations),
        country: id_filter(country),
        area: id_filter(region),
    };
    violations
        .into_result()
        .map(|()| (filter, page_size, id_filter(page_token)))
}

/// A practice as the API shows it.
pub fn practice(practice: &Practice) -> proto::Practice {
    let Practice {
        id,
        author_id,
        spec,
        source: _,
        status,
        created_at,
        updated_at,
    } = practice;
    let PracticeSpec {
        title,
        description,
        themes,
        countries,
        partner_ids,
        mgi_dimensions,
        results,
        lessons_learned,
        links,
        languages,
    } = spec;
    let (match_id, rating) = practice.completed_match().unzip();
    proto::Practice {
        id: id.clone(),
        author_id: author_id.clone(),
        title: title.clone(),
        description: description.clone(),
        themes: themes.iter().map(|theme| theme.number()).collect(),
        countries: countries.clone(),
        partner_ids: partner_ids.clone(),
        mgi_dimensions: mgi_dimensions.iter().map(|dimension| dimension.wire()).collect(),
        results: results.clone(),
        lessons_learned: lessons_learned.clone(),
        links: links.clone(),
        languages: languages.clone(),
        status: status.wire(),
        match_id: match_id.unwrap_or_default().to_string(),
        rating: rating.unwrap_or_default(),
        created_at: timestamp(*created_at),
        updated_at: timestamp(*updated_at),
    }
}

/// A Search request as the index takes it.
pub fn search(request: proto::SearchRequest) -> Result<SearchRequest, Violations> {
    let proto::SearchRequest {
        query,
        kinds,
        theme,
        country,
        region,
        language,
        page_size,
        page_token,
    } = request;
    let mut violations = Violations::default();
    let kinds = enum_list("kinds", &kinds, &mut violations);
    let theme = objective_filter("theme", theme, &mut violations);
    let language = id_filter(language).and_then(|code| {
        let known = Language::from_code(&code);
        if known.is_none() {
            let codes: Vec<&str> = Language::ALL.iter().map(|language| language.code()).collect();
            violations.push(
                "language",
                format!("'{code}' is not a language the hub reads ({})", codes.join(", ")),
            );
        }
        known
    });
    // 0 stays 0 here: Search gives it its default.
    let page_size =
        count_or_default("page_size", page_size, 0, crate::search::MAX_PAGE_SIZE).unwrap_or_else(|broken| {
            violations.append(broken);
            0
        });
    violations.into_result()?;
    Ok(SearchRequest {
        query,
        kinds,
        theme,
        country: id_filter(country),
        area: id_filter(region),
        language,
        page_size,
        page_token: id_filter(page_token),
    })
}

/// A page of hits as the API shows it.
pub fn search_response(page: SearchPage) -> proto::SearchResponse {
    let SearchPage { hits, next_page_token } = page;
    proto::SearchResponse {
        hits: hits
            .into_iter()
            .map(|hit| {
                let SearchHit {
                    kind,
                    id,
                    title,
                    snippet,
                    score,
                } = hit;
                proto::SearchHit {
                    kind: kind.wire(),
                    id,
                    title,
                    snippet,
                    score: f64::from(score),
                }
            })
            .collect(),
        next_page_token: next_page_token.unwrap_or_default(),
    }
}

/// A related item as the API shows it.
pub fn related_item(item: RelatedItem) -> proto::RelatedItem {
    let RelatedItem {
        kind,
        id,
        title,
        actor_id,
        score,
        reasons,
        need_status,
        rating,
        lessons_learned,
        match_id,
    } = item;
    proto::RelatedItem {
        kind: kind.wire(),
        id,
        title,
        actor_id,
        score: f64::from(score),
        reasons,
        need_status: need_status.map_or(0, |status| status.wire()),
        rating: rating.unwrap_or_default(),
        lessons_learned,
        match_id: match_id.unwrap_or_default(),
    }
}
