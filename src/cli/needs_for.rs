//! `capacity-hub offers needs`: the provider's side of matching. The open needs an offer can
//! serve, best first, each with the score its need's FindMatches gives the offer and why.

use super::CliError;
use super::client::{Hub, call};
use super::matches::print_components;
use super::output::{self, cell, say};
use crate::proto::FindNeedsRequest;

/// How far the lines under a need are indented, to sit under its score.
const INDENT: usize = 6;

/// Ranks the open needs `offer_id` can serve.
pub async fn run(
    hub: &Hub,
    offer_id: String,
    limit: Option<u32>,
    page_token: Option<String>,
    explain: bool,
    json: bool,
) -> Result<(), CliError> {
    let request = FindNeedsRequest {
        offer_id: offer_id.clone(),
        limit: limit.unwrap_or_default(),
        page_token: page_token.clone().unwrap_or_default(),
    };
    let response = call(hub.matches().find_needs(request)).await?;
    if json {
        return output::print_json(&response);
    }
    if response.needs.is_empty() {
        say!(
            "no open need fits {offer_id}: none shares a theme and a modality, lies where it serves and overlaps its window"
        );
        return Ok(());
    }
    let first = page_token
        .as_deref()
        .and_then(|token| token.split_once('.'))
        .and_then(|(offset, _)| offset.parse::<usize>().ok())
        .unwrap_or(0);
    let rows = response.needs.iter().enumerate().map(|(at, candidate)| {
        let need = candidate.need.clone().unwrap_or_default();
        let requester = candidate.requester.as_ref().map_or("-", |actor| actor.name.as_str());
        [
            (first + at + 1).to_string(),
            format!("{:.2}", candidate.score),
            cell(&need.id, 12),
            need.title,
            cell(requester, 28),
        ]
    });
    let table = output::fitted_table(["RANK", "SCORE", "NEED", "TITLE", "REQUESTER"], rows.collect(), 3);
    output::print_rows_with(table, &response.needs, |candidate| {
        let explanation = candidate.explanation.clone().unwrap_or_default();
        output::print_indented(&explanation.summary, INDENT);
        print_components(&explanation, explain);
    });
    if !response.next_page_token.is_empty() {
        say!(
            "more: capacity-hub offers needs {offer_id} --page-token {}",
            response.next_page_token
        );
    }
    Ok(())
}
