//! `capacity-hub matches related`: what was learned, linked to a need. Before asking for an
//! offer, a requester sees past needs like its own and how they ended, practices on the same
//! topic, and other actors' open needs it could join forces with rather than duplicate.

use super::CliError;
use super::client::{Hub, call};
use super::output::{self, code, say};
use super::practices::rating;
use crate::proto::{FindRelatedRequest, FindRelatedResponse, NeedStatus, RelatedItem, RelatedKind};

/// How far an item's reasons and outcome are indented under its row.
const INDENT: usize = 6;

/// The groups items are printed in, each under its heading: what was done before, then what
/// is under way elsewhere.
const GROUPS: [(RelatedKind, &str); 3] = [
    (RelatedKind::PastNeed, "Past needs like it, and how they ended"),
    (RelatedKind::Practice, "Practices on the same topic"),
    (
        RelatedKind::OpenNeed,
        "Other actors' open needs on the same topic and region (join forces rather than duplicate)",
    ),
];

/// The heading of items of a kind this client does not know (from a newer hub).
const OTHER: &str = "Other related items";

/// Finds what is related to a need and prints it grouped by kind.
pub async fn run(hub: &Hub, need_id: String, limit: Option<u32>, json: bool) -> Result<(), CliError> {
    let request = FindRelatedRequest {
        need_id: need_id.clone(),
        limit: limit.unwrap_or_default(),
    };
    let response = call(hub.matches().find_related(request)).await?;
    if json {
        return output::print_json(&response);
    }
    if response.items.is_empty() {
        say!("nothing related to {need_id} yet: no past need, practice or other actor's open need on its topic");
        return Ok(());
    }
    for (at, (heading, items)) in groups(&response).into_iter().enumerate() {
        if at > 0 {
            say!();
        }
        say!("{heading}");
        print_items(&items);
    }
    Ok(())
}

/// The items by kind, in the order of [`GROUPS`] and then those of unknown kinds, each group
/// in the hub's order (most related first); groups without items are left out.
fn groups(response: &FindRelatedResponse) -> Vec<(&'static str, Vec<&RelatedItem>)> {
    let known = |item: &RelatedItem| GROUPS.iter().any(|(kind, _)| item.kind == i32::from(*kind));
    let mut groups: Vec<(&'static str, Vec<&RelatedItem>)> = GROUPS
        .iter()
        .map(|(kind, heading)| {
            let items = response.items.iter().filter(|item| item.kind == i32::from(*kind));
            (*heading, items.collect())
        })
        .collect();
    groups.push((OTHER, response.items.iter().filter(|item| !known(item)).collect()));
    groups.retain(|(_, items)| !items.is_empty());
    groups
}

/// One row per item, and under it why it is related (a reason a line), then how it ended and
/// what was learned where an outcome was reported.
fn print_items(items: &[&RelatedItem]) {
    let rows = items.iter().map(|item| {
        [
            item.id.clone(),
            item.title.clone(),
            output::or_dash(&item.actor_id),
            format!("{:.2}", item.score),
        ]
    });
    let table = output::fitted_table(["ID", "TITLE", "ACTOR", "SCORE"], rows.collect(), 1);
    output::print_rows_with(table, items, |item| {
        for reason in &item.reasons {
            output::print_indented(reason, INDENT);
        }
        if let Some(ending) = ending(item) {
            output::print_indented(&ending, INDENT);
        }
        if !item.lessons_learned.is_empty() {
            output::print_indented(&format!("lessons learned: {}", item.lessons_learned), INDENT);
        }
    });
}

/// How a past need or a practice published from a match ended: `how it ended: fulfilled, rated
/// 4/5 (match-160)`. None for an open need, which has not ended, and for a practice told by its
/// author without a match.
fn ending(item: &RelatedItem) -> Option<String> {
    if item.kind == i32::from(RelatedKind::OpenNeed) {
        return None;
    }
    let mut parts = Vec::new();
    if item.kind == i32::from(RelatedKind::PastNeed) && item.need_status != 0 {
        parts.push(code::<NeedStatus>(item.need_status));
    }
    if item.rating > 0 {
        parts.push(format!("rated {}", rating(item.rating)));
    }
    let mut ending = parts.join(", ");
    if !item.match_id.is_empty() {
        if ending.is_empty() {
            ending = format!("in {}", item.match_id);
        } else {
            ending = format!("{ending} ({})", item.match_id);
        }
    }
    (!ending.is_empty()).then(|| format!("how it ended: {ending}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str, kind: RelatedKind) -> RelatedItem {
        RelatedItem {
            kind: kind.into(),
            id: id.to_owned(),
            ..Default::default()
        }
    }

    #[test]
    fn items_group_by_kind_in_a_fixed_order() {
        let response = FindRelatedResponse {
            items: vec![
                item("need-160", RelatedKind::OpenNeed),
                item("practice-3", RelatedKind::Practice),
                item("need-12", RelatedKind::PastNeed),
                RelatedItem {
                    kind: 9,
                    ..item("thing-1", RelatedKind::Unspecified)
                },
                item("need-14", RelatedKind::PastNeed),
            ],
        };
        let grouped: Vec<(&str, Vec<&str>)> = groups(&response)
            .into_iter()
            .map(|(heading, items)| (heading, items.iter().map(|item| item.id.as_str()).collect()))
            .collect();
        assert_eq!(
            grouped,
            [
                (GROUPS[0].1, vec!["need-12", "need-14"]),
                (GROUPS[1].1, vec!["practice-3"]),
                (GROUPS[2].1, vec!["need-160"]),
                (OTHER, vec!["thing-1"]),
            ]
        );
        let only_practices = FindRelatedResponse {
            items: vec![item("practice-3", RelatedKind::Practice)],
        };
        assert_eq!(groups(&only_practices).len(), 1);
    }

    #[test]
    fn a_past_need_says_how_it_ended() {
        let fulfilled = RelatedItem {
            need_status: NeedStatus::Fulfilled.into(),
            rating: 4,
            match_id: "match-160".to_owned(),
            ..item("need-12", RelatedKind::PastNeed)
        };
        assert_eq!(
            ending(&fulfilled).as_deref(),
            Some("how it ended: fulfilled, rated 4/5 (match-160)")
        );
        let expired = RelatedItem {
            need_status: NeedStatus::Expired.into(),
            ..item("need-13", RelatedKind::PastNeed)
        };
        assert_eq!(ending(&expired).as_deref(), Some("how it ended: expired"));
    }

    #[test]
    fn a_practice_ends_only_when_published_from_a_match() {
        let from_match = RelatedItem {
            rating: 2,
            match_id: "match-161".to_owned(),
            ..item("practice-3", RelatedKind::Practice)
        };
        assert_eq!(
            ending(&from_match).as_deref(),
            Some("how it ended: rated 2/5 (match-161)")
        );
        assert_eq!(ending(&item("practice-4", RelatedKind::Practice)), None);
        let open = RelatedItem {
            need_status: NeedStatus::Open.into(),
            ..item("need-160", RelatedKind::OpenNeed)
        };
        assert_eq!(ending(&open), None);
    }
}
