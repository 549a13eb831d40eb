//! `capacity-hub matches allocate`: one batch allocation run over the open needs, a dry run
//! unless `--commit` is given, printed as the pairs with their reasons, the needs left out with
//! theirs, and the run's equity report.

use clap::Args;

use super::CliError;
use super::client::{Hub, call};
use super::needs::NeedFilterArgs;
use super::output::{self, CodeParser, cell, say};
use crate::proto::{AllocationMode, EquityReport, RunAllocationRequest, RunAllocationResponse};

/// How far a pair's reasons are indented under its row.
const INDENT: usize = 6;

/// `capacity-hub matches allocate ...`
#[derive(Debug, Args)]
pub struct AllocateArgs {
    /// `optimal` (greatest total fit x priority) or `stable` (no need and offer would both
    /// rather have each other).
    #[arg(long, default_value = "optimal", value_parser = CodeParser::<AllocationMode>::new())]
    mode: AllocationMode,
    /// Propose the matches; without it the run only shows what it would propose.
    #[arg(long)]
    commit: bool,
    #[command(flatten)]
    needs: NeedFilterArgs,
    /// Only offers of this provider.
    #[arg(long)]
    provider: Option<String>,
    /// Best candidate offers kept per need (the hub's default is 50, at most 200).
    #[arg(long)]
    candidates: Option<u32>,
}

impl From<AllocateArgs> for RunAllocationRequest {
    fn from(args: AllocateArgs) -> Self {
        RunAllocationRequest {
            mode: args.mode.into(),
            dry_run: !args.commit,
            requester_id: args.needs.requester.unwrap_or_default(),
            theme: args.needs.theme.unwrap_or_default(),
            country: args.needs.country.unwrap_or_default(),
            region: args.needs.region.unwrap_or_default(),
            provider_id: args.provider.unwrap_or_default(),
            candidates_per_need: args.candidates.unwrap_or_default(),
        }
    }
}

/// Runs the allocation and prints its outcome.
pub async fn run(hub: &Hub, args: AllocateArgs, json: bool) -> Result<(), CliError> {
    let request = RunAllocationRequest::from(args);
    let committed = !request.dry_run;
    let response = call(hub.matches().run_allocation(request)).await?;
    if json {
        return output::print_json(&response);
    }
    say!("{}", headline(&response, committed));
    if !response.pairs.is_empty() {
        say!();
        print_pairs(&response);
    }
    if !response.unmatched.is_empty() {
        say!();
        let rows = response
            .unmatched
            .iter()
            .map(|left_out| [cell(&left_out.need_id, 14), left_out.reason.clone()]);
        output::print_table(&output::fitted_table(["LEFT OUT", "WHY"], rows.collect(), 1), 0);
    }
    if let Some(equity) = response.equity.as_ref().filter(|_| response.needs_considered > 0) {
        print_equity(equity);
    }
    Ok(())
}

/// `4 of 4 needs paired, 22 offers considered; total fit 2.40, value 3.89; 0 blocking pairs (dry
/// run: nothing proposed; --commit proposes)`.
fn headline(response: &RunAllocationResponse, committed: bool) -> String {
    if response.needs_considered == 0 {
        return "no open need takes part (needs with a match being answered or confirmed are left out)".to_owned();
    }
    let done = if committed {
        format!("{} matches proposed", response.match_ids.len())
    } else {
        "dry run: nothing proposed; --commit proposes".to_owned()
    };
    format!(
        "{} of {} needs paired, {} offers considered; total fit {:.2}, value {:.2}; {} blocking pairs ({done})",
        response.pairs.len(),
        response.needs_considered,
        response.offers_considered,
        response.total_fit,
        response.total_value,
        response.blocking_pairs
    )
}

/// One row per pair, its reasons on indented lines under it; a committed run's rows carry their
/// match ids, which come in pair order.
fn print_pairs(response: &RunAllocationResponse) {
    let rows = response.pairs.iter().enumerate().map(|(at, pair)| {
        let match_id = response.match_ids.get(at).map_or("-", String::as_str);
        [
            cell(&pair.need_id, 16),
            cell(&pair.offer_id, 16),
            format!("{:.2}", pair.fit),
            format!("{:.2}", pair.priority),
            cell(match_id, 16),
        ]
    });
    let mut table = output::table(["NEED", "OFFER", "FIT", "PRIORITY", "MATCH"]);
    table.add_rows(rows);
    output::print_rows_with(table, &response.pairs, |pair| {
        output::print_indented(&pair.summary, INDENT)
    });
}

/// The equity report, one table per grouping: each group's share of the open needs the run
/// considered, of its pairs and of the money its funding offers give, with the counts behind
/// them. A group whose share of the pairs or the money falls well below its share of the needs
/// is the one the round served less.
fn print_equity(equity: &EquityReport) {
    let EquityReport {
        by_region,
        by_ldc_sids,
        by_objective,
    } = equity;
    // Each paired need is in one region's row: no row funded means no money was given.
    let funded = by_region.iter().any(|row| row.funded_usd > 0);
    for (grouping, rows) in [
        ("EQUITY BY REGION", by_region),
        ("BY LDC/SIDS", by_ldc_sids),
        ("BY OBJECTIVE", by_objective),
    ] {
        let rows = rows.iter().map(|row| {
            let funding = if funded {
                format!("{} (USD {})", share(row.funding_share), row.funded_usd)
            } else {
                "-".to_owned()
            };
            [
                row.group.clone(),
                format!("{} ({})", share(row.open_share), row.open_needs),
                format!("{} ({})", share(row.pair_share), row.pairs),
                funding,
            ]
        });
        say!();
        let header = [grouping, "OPEN NEEDS", "PAIRS", "FUNDING"];
        output::print_table(&output::fitted_table(header, rows.collect(), 0), 0);
    }
}

/// A share with one decimal: `38.2%`.
fn share(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}
