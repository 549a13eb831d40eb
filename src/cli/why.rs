//! `capacity-hub matches why`: every match and every non-match explained. A candidate pair is
//! shown with its score, its rank among the need's candidates and the sentence FindMatches
//! gives; any other pair with every reason it is not one.

use super::CliError;
use super::client::{Hub, call};
use super::matches::print_why;
use super::output::{self, say};
use crate::proto::ExplainMatchRequest;

/// Explains the pair (need, offer).
pub async fn run(hub: &Hub, need_id: String, offer_id: String, explain: bool, json: bool) -> Result<(), CliError> {
    let request = ExplainMatchRequest {
        need_id: need_id.clone(),
        offer_id: offer_id.clone(),
    };
    let response = call(hub.matches().explain_match(request)).await?;
    if json {
        return output::print_json(&response);
    }
    match &response.candidate {
        Some(candidate) if response.is_candidate => {
            say!(
                "{offer_id} is candidate {} of {} for {need_id}, score {:.2}:",
                response.rank,
                response.candidate_count,
                candidate.score
            );
            print_why(candidate, explain);
        }
        _ => {
            say!("{offer_id} is not a candidate for {need_id}:");
            for reason in &response.refusals {
                say!("  - {reason}");
            }
        }
    }
    Ok(())
}
