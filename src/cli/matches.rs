//! `capacity-hub matches`: ranked, explained offers for a need, what was learned around it, and
//! the life of a match from proposal through both parties' answers to its outcome.

use clap::{Args, Subcommand};

use super::CliError;
use super::allocate::{self, AllocateArgs};
use super::client::{ClientArgs, Hub, PageArgs, call, fetch_pages};
use super::output::{self, CodeParser, and_list, cell, code, codes, list, or_dash, percent, say, timestamp};
use super::prefer::{self, PreferArgs};
use super::{related, why};
use crate::proto::{
    Bundle, Cell, CompleteMatchRequest, Explanation, FindBundlesRequest, FindMatchesRequest, FindMatchesResponse,
    GetMatchRequest, ListMatchesRequest, Match, MatchCandidate, MatchStatus, MgiDimension, Modality,
    ProposeMatchRequest, RespondToMatchRequest,
};

/// How far the lines under a candidate are indented, to sit under its score.
const INDENT: u16 = 6;

/// `capacity-hub matches ...`
#[derive(Debug, Args)]
pub struct MatchesArgs {
    #[command(flatten)]
    client: ClientArgs,
    #[command(subcommand)]
    command: MatchesCommand,
}

#[derive(Debug, Subcommand)]
enum MatchesCommand {
    /// Rank the offers that fit a need, best first, and say why.
    Find {
        /// The need's id.
        need_id: String,
        /// At most this many candidates (the hub's default is 10).
        #[arg(long)]
        limit: Option<u32>,
        /// Also print every score component: value, weight, contribution and detail.
        #[arg(long)]
        explain: bool,
    },
    /// Integrated solutions: small sets of offers from different providers that together cover
    /// the need's (objective x modality) cells, partners of each other preferred.
    Bundles {
        /// The need's id.
        need_id: String,
        /// At most this many bundles (the hub's default is 3).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=10))]
        max: Option<u32>,
    },
    /// What was learned, linked to a need: past needs like it and how they ended, practices on
    /// the same topic, and other actors' open needs to join forces with; each with why.
    Related {
        /// The need's id.
        need_id: String,
        /// At most this many items (the hub's default is 10).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=50))]
        limit: Option<u32>,
    },
    /// Why a pair is or is not a candidate: its score, explanation and rank among the need's
    /// candidates, or every hard filter it fails, in words.
    Why {
        /// The need's id.
        need_id: String,
        /// The offer's id.
        offer_id: String,
        /// Also print every score component.
        #[arg(long)]
        explain: bool,
    },
    /// Propose a need-offer pair; both parties then respond.
    Propose(ProposeArgs),
    /// Accept or decline a proposed match, as its requester or provider.
    Respond(RespondArgs),
    /// Report how a confirmed engagement ended (failures too).
    Complete(CompleteArgs),
    /// Show one match.
    Show {
        /// The match's id.
        id: String,
    },
    /// List matches, optionally filtered.
    List(ListArgs),
    /// Allocate open needs to offers in one batch (admin): optimal or stable, a dry run unless
    /// --commit. Needs already paired by a live match take no part.
    Allocate(AllocateArgs),
    /// Mark a need-offer pair as its requester or provider: --prefer ranks it first in a stable
    /// allocation, --decline keeps it from ever being ranked, proposed or allocated again,
    /// --clear removes the mark.
    Prefer(PreferArgs),
}

#[derive(Debug, Args)]
struct ProposeArgs {
    /// The need's id.
    #[arg(long)]
    need: String,
    /// The offer's id.
    #[arg(long)]
    offer: String,
    /// Idempotency key: a retry with the same id proposes nothing new.
    #[arg(long)]
    request_id: Option<String>,
}

impl From<ProposeArgs> for ProposeMatchRequest {
    fn from(args: ProposeArgs) -> Self {
        ProposeMatchRequest {
            need_id: args.need,
            offer_id: args.offer,
            request_id: args.request_id.unwrap_or_default(),
        }
    }
}

#[derive(Debug, Args)]
struct RespondArgs {
    /// The match's id.
    match_id: String,
    /// The requester or the provider answering.
    #[arg(long)]
    actor: String,
    #[command(flatten)]
    answer: Answer,
    /// Why, for the other party.
    #[arg(long)]
    reason: Option<String>,
}

/// Exactly one of `--accept` and `--decline`.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
struct Answer {
    /// Accept the match.
    #[arg(long)]
    accept: bool,
    /// Decline the match.
    #[arg(long)]
    decline: bool,
}

impl From<RespondArgs> for RespondToMatchRequest {
    fn from(args: RespondArgs) -> Self {
        RespondToMatchRequest {
            match_id: args.match_id,
            actor_id: args.actor,
            accept: args.answer.accept,
            reason: args.reason.unwrap_or_default(),
        }
    }
}

#[derive(Debug, Args)]
struct CompleteArgs {
    /// The match's id.
    match_id: String,
    /// The match's requester, who reports the outcome (a provider cannot rate its own work).
    #[arg(long)]
    actor: String,
    /// 1 (failed) to 5 (excellent); 3 or more fulfils the need.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=5))]
    rating: u32,
    /// Migration Governance Indicators dimension advanced; repeat for several.
    #[arg(long = "mgi", value_name = "DIMENSION", value_delimiter = ',', value_parser = CodeParser::<MgiDimension>::new())]
    mgi_dimensions: Vec<MgiDimension>,
    /// What others can learn from the engagement.
    #[arg(long)]
    lessons: Option<String>,
}

impl From<CompleteArgs> for CompleteMatchRequest {
    fn from(args: CompleteArgs) -> Self {
        CompleteMatchRequest {
            match_id: args.match_id,
            actor_id: args.actor,
            rating: args.rating,
            mgi_dimensions: args.mgi_dimensions.into_iter().map(Into::into).collect(),
            lessons_learned: args.lessons.unwrap_or_default(),
        }
    }
}

#[derive(Debug, Args)]
struct ListArgs {
    /// Only matches for this need.
    #[arg(long)]
    need: Option<String>,
    /// Only matches of this offer.
    #[arg(long)]
    offer: Option<String>,
    /// Only matches where this actor is requester or provider.
    #[arg(long)]
    actor: Option<String>,
    /// Only matches in this status.
    #[arg(long, value_parser = CodeParser::<MatchStatus>::new())]
    status: Option<MatchStatus>,
    #[command(flatten)]
    page: PageArgs,
}

/// Runs a `matches` subcommand.
pub async fn run(args: MatchesArgs) -> Result<(), CliError> {
    let hub = Hub::connect(&args.client).await?;
    let json = args.client.json;
    let found = match args.command {
        MatchesCommand::Find {
            need_id,
            limit,
            explain,
        } => return find(&hub, need_id, limit, explain, json).await,
        MatchesCommand::List(list_args) => return list_matches(&hub, list_args, json).await,
        MatchesCommand::Allocate(allocate_args) => return allocate::run(&hub, allocate_args, json).await,
        MatchesCommand::Prefer(prefer_args) => return prefer::run(&hub, prefer_args, json).await,
        MatchesCommand::Bundles { need_id, max } => return bundles(&hub, need_id, max, json).await,
        MatchesCommand::Related { need_id, limit } => return related::run(&hub, need_id, limit, json).await,
        MatchesCommand::Why {
            need_id,
            offer_id,
            explain,
        } => return why::run(&hub, need_id, offer_id, explain, json).await,
        MatchesCommand::Propose(propose) => {
            call(hub.matches().propose_match(ProposeMatchRequest::from(propose))).await?
        }
        MatchesCommand::Respond(respond) => {
            call(hub.matches().respond_to_match(RespondToMatchRequest::from(respond))).await?
        }
        MatchesCommand::Complete(complete) => {
            call(hub.matches().complete_match(CompleteMatchRequest::from(complete))).await?
        }
        MatchesCommand::Show { id } => call(hub.matches().get_match(GetMatchRequest { id })).await?,
    };
    print_match(&found, json)
}

async fn find(hub: &Hub, need_id: String, limit: Option<u32>, explain: bool, json: bool) -> Result<(), CliError> {
    let request = FindMatchesRequest {
        need_id: need_id.clone(),
        limit: limit.unwrap_or_default(),
    };
    let response = call(hub.matches().find_matches(request)).await?;
    if json {
        return output::print_json(&response);
    }
    if response.candidates.is_empty() {
        say!(
            "no active offer fits {need_id}: none shares a theme and a modality, covers its countries and has time and capacity free"
        );
        return Ok(());
    }
    print_candidates(&response, explain);
    Ok(())
}

/// The ranking, one row per candidate, each followed by its explanation on indented lines.
fn print_candidates(response: &FindMatchesResponse, explain: bool) {
    let rows = response.candidates.iter().enumerate().map(|(rank, candidate)| {
        let offer = candidate.offer.clone().unwrap_or_default();
        let provider = candidate
            .provider
            .as_ref()
            .map_or("-", |provider| provider.name.as_str());
        [
            (rank + 1).to_string(),
            format!("{:.2}", candidate.score),
            cell(&offer.id, 12),
            offer.title,
            cell(provider, 28),
        ]
    });
    let table = output::fitted_table(["RANK", "SCORE", "OFFER", "TITLE", "PROVIDER"], rows.collect(), 3);
    output::print_rows_with(table, &response.candidates, |candidate| print_why(candidate, explain));
}

/// The lines under a candidate: its summary, a warning against duplicating work already under
/// way, and with `--explain` the score's components.
pub(super) fn print_why(candidate: &MatchCandidate, explain: bool) {
    let explanation = candidate.explanation.clone().unwrap_or_default();
    output::print_indented(&explanation.summary, usize::from(INDENT));
    if !candidate.engaged_on_similar_need_ids.is_empty() {
        let similar = list(&candidate.engaged_on_similar_need_ids);
        output::print_indented(
            &format!("already engaged on similar needs {similar}: coordinate rather than duplicate"),
            usize::from(INDENT),
        );
    }
    print_components(&explanation, explain);
}

/// With `--explain`, the score's components under a ranked row.
pub(super) fn print_components(explanation: &Explanation, explain: bool) {
    if explain {
        // One less: a table row starts with its cell padding.
        output::print_table(&components_table(explanation), usize::from(INDENT) - 1);
        say!();
    }
}

/// Every component of a score: its value, weight and share of the score.
fn components_table(explanation: &Explanation) -> comfy_table::Table {
    let mut table = output::table(["COMPONENT", "VALUE", "WEIGHT", "CONTRIB", "DETAIL"]);
    table.set_width(output::WIDTH - INDENT);
    for component in &explanation.components {
        table.add_row([
            component.name.clone(),
            format!("{:.2}", component.value),
            format!("{:.2}", component.weight),
            format!("{:.3}", component.contribution),
            component.detail.clone(),
        ]);
    }
    table
}

async fn bundles(hub: &Hub, need_id: String, max: Option<u32>, json: bool) -> Result<(), CliError> {
    let request = FindBundlesRequest {
        need_id: need_id.clone(),
        max_bundles: max.unwrap_or_default(),
    };
    let response = call(hub.matches().find_bundles(request)).await?;
    if json {
        return output::print_json(&response);
    }
    if response.bundles.is_empty() {
        say!("no bundle of offers covers any of {need_id}'s (objective x modality) cells");
        return Ok(());
    }
    for (rank, bundle) in response.bundles.iter().enumerate() {
        if rank > 0 {
            say!();
        }
        print_bundle(rank + 1, bundle);
    }
    Ok(())
}

/// A bundle: its figures, the explanation (which names what is left uncovered), then one row
/// per member; only the COVERS column wraps.
fn print_bundle(rank: usize, bundle: &Bundle) {
    say!("{}", bundle_header(rank, bundle));
    output::print_indented(&bundle.explanation, usize::from(INDENT));
    let mut table = output::table(["OFFER", "PROVIDER", "COVERS", "SCORE"]);
    table.set_width(output::WIDTH - INDENT);
    for member in &bundle.members {
        let provider = member.provider.as_ref().map_or("-", |provider| provider.name.as_str());
        table.add_row([
            member
                .offer
                .as_ref()
                .map_or_else(|| "-".to_owned(), |offer| offer.id.clone()),
            cell(provider, 28),
            cells_text(&member.cells),
            format!("{:.2}", member.score),
        ]);
    }
    output::print_table(&table, usize::from(INDENT) - 1);
}

/// `#1  score 0.93  coverage 100%  cohesion 0.80  (2 offers)`.
fn bundle_header(rank: usize, bundle: &Bundle) -> String {
    let offers = match bundle.members.len() {
        1 => "1 offer".to_owned(),
        n => format!("{n} offers"),
    };
    format!(
        "#{rank}  score {:.2}  coverage {}  cohesion {:.2}  ({offers})",
        bundle.score,
        percent(bundle.coverage),
        bundle.cohesion
    )
}

/// Cells grouped by modality, in the order they come: `training on 7 and 21; research on 13`.
fn cells_text(cells: &[Cell]) -> String {
    let mut groups: Vec<(i32, Vec<u32>)> = Vec::new();
    for cell in cells {
        match groups.iter_mut().find(|(modality, _)| *modality == cell.modality) {
            Some((_, themes)) => themes.push(cell.theme),
            None => groups.push((cell.modality, vec![cell.theme])),
        }
    }
    let parts: Vec<String> = groups
        .iter()
        .map(|(modality, themes)| format!("{} on {}", code::<Modality>(*modality), and_list(themes)))
        .collect();
    if parts.is_empty() {
        "-".to_owned()
    } else {
        parts.join("; ")
    }
}

async fn list_matches(hub: &Hub, args: ListArgs, json: bool) -> Result<(), CliError> {
    let request = ListMatchesRequest {
        need_id: args.need.unwrap_or_default(),
        offer_id: args.offer.unwrap_or_default(),
        actor_id: args.actor.unwrap_or_default(),
        status: args.status.map_or(0, Into::into),
        page_size: args.page.page_size.unwrap_or_default(),
        page_token: String::new(),
    };
    let client = hub.matches();
    let page = fetch_pages(&args.page, |page_token| {
        let request = ListMatchesRequest {
            page_token,
            ..request.clone()
        };
        let mut client = client.clone();
        async move { call(client.list_matches(request)).await }
    })
    .await?;
    if json {
        return output::print_json(&page);
    }
    let mut table = output::table(["ID", "NEED", "OFFER", "PROVIDER", "STATUS", "SCORE", "UPDATED"]);
    for found in &page.matches {
        table.add_row([
            found.id.clone(),
            found.need_id.clone(),
            found.offer_id.clone(),
            found.provider_id.clone(),
            code::<MatchStatus>(found.status),
            format!("{:.2}", found.score),
            timestamp(found.updated_at.as_ref()),
        ]);
    }
    output::print_table(&table, 0);
    output::page_hint(&page.next_page_token);
    Ok(())
}

/// A match: its fields, then the score's components.
fn print_match(found: &Match, json: bool) -> Result<(), CliError> {
    if json {
        return output::print_json(found);
    }
    output::print_fields(match_fields(found));
    let explanation = found.explanation.clone().unwrap_or_default();
    if !explanation.components.is_empty() {
        say!();
        output::print_table(&components_table(&explanation), 0);
    }
    Ok(())
}

/// A match as `field: value` lines, one per response and the outcome when there is one.
fn match_fields(found: &Match) -> Vec<(&'static str, String)> {
    let summary = found
        .explanation
        .as_ref()
        .map_or("-", |explanation| explanation.summary.as_str());
    let mut fields = vec![
        ("id", found.id.clone()),
        ("status", code::<MatchStatus>(found.status)),
        ("need", found.need_id.clone()),
        ("offer", found.offer_id.clone()),
        ("requester", found.requester_id.clone()),
        ("provider", found.provider_id.clone()),
        ("score", format!("{:.2}", found.score)),
        ("why", summary.to_owned()),
    ];
    for response in &found.responses {
        let answer = if response.accept { "accepted" } else { "declined" };
        let reason = if response.reason.is_empty() {
            String::new()
        } else {
            format!(": {}", response.reason)
        };
        let at = timestamp(response.responded_at.as_ref());
        fields.push(("response", format!("{} {answer} at {at}{reason}", response.actor_id)));
    }
    if let Some(outcome) = &found.outcome {
        let mgi = codes::<MgiDimension>(&outcome.mgi_dimensions);
        fields.push((
            "outcome",
            format!("rated {}/5 by {}; MGI: {mgi}", outcome.rating, outcome.reported_by),
        ));
        fields.push(("lessons", or_dash(&outcome.lessons_learned)));
        fields.push(("completed", timestamp(outcome.completed_at.as_ref())));
    }
    fields.push(("created", timestamp(found.created_at.as_ref())));
    fields.push(("updated", timestamp(found.updated_at.as_ref())));
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(theme: u32, modality: Modality) -> Cell {
        Cell {
            theme,
            modality: modality.into(),
        }
    }

    #[test]
    fn cells_group_by_modality() {
        let cells = [
            cell(7, Modality::Training),
            cell(13, Modality::TechnicalAdvice),
            cell(21, Modality::Training),
        ];
        assert_eq!(cells_text(&cells), "training on 7 and 21; technical_advice on 13");
        assert_eq!(cells_text(&[]), "-");
    }

    #[test]
    fn a_bundle_header_gives_its_figures() {
        let bundle = Bundle {
            members: vec![Default::default(), Default::default()],
            coverage: 0.75,
            cohesion: 0.8,
            score: 0.7265,
            ..Default::default()
        };
        assert_eq!(
            bundle_header(1, &bundle),
            "#1  score 0.73  coverage 75%  cohesion 0.80  (2 offers)"
        );
    }
}
