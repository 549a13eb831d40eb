//! `capacity-hub partnerships`: who already works with whom. The graph these links form is what
//! ranks a partner's partner above a stranger.

use clap::{Args, Subcommand};

use super::CliError;
use super::client::{ClientArgs, Hub, PageArgs, call, fetch_pages};
use super::output::{self, CodeParser, code, or_dash, timestamp};
use crate::proto::{
    AddPartnershipRequest, ListPartnershipsRequest, Partnership, PartnershipKind, RemovePartnershipRequest,
};

/// `capacity-hub partnerships ...`
#[derive(Debug, Args)]
pub struct PartnershipsArgs {
    #[command(flatten)]
    client: ClientArgs,
    #[command(subcommand)]
    command: PartnershipsCommand,
}

#[derive(Debug, Subcommand)]
enum PartnershipsCommand {
    /// Record that two actors work together.
    Add(AddArgs),
    /// List partnerships, all or one actor's.
    List {
        /// Only partnerships of this actor.
        #[arg(long)]
        actor: Option<String>,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Remove a partnership from the graph.
    Remove {
        /// The partnership's id.
        id: String,
    },
}

#[derive(Debug, Args)]
struct AddArgs {
    /// Id of one partner.
    #[arg(long, value_name = "ACTOR_ID")]
    a: String,
    /// Id of the other partner.
    #[arg(long, value_name = "ACTOR_ID")]
    b: String,
    /// Why the two are linked.
    #[arg(long, value_parser = CodeParser::<PartnershipKind>::new())]
    kind: PartnershipKind,
    /// How well the link carries a new collaboration, in (0, 1].
    #[arg(long)]
    trust: f64,
    /// Date the partnership began, as YYYY-MM-DD.
    #[arg(long)]
    since: Option<String>,
    /// A word on the partnership.
    #[arg(long)]
    note: Option<String>,
    /// Idempotency key: a retry with the same id adds nothing new.
    #[arg(long)]
    request_id: Option<String>,
}

impl From<AddArgs> for AddPartnershipRequest {
    fn from(args: AddArgs) -> Self {
        AddPartnershipRequest {
            actor_a: args.a,
            actor_b: args.b,
            kind: args.kind.into(),
            trust: args.trust,
            since: args.since.unwrap_or_default(),
            note: args.note.unwrap_or_default(),
            request_id: args.request_id.unwrap_or_default(),
        }
    }
}

/// Runs a `partnerships` subcommand.
pub async fn run(args: PartnershipsArgs) -> Result<(), CliError> {
    let hub = Hub::connect(&args.client).await?;
    let json = args.client.json;
    match args.command {
        PartnershipsCommand::Add(add) => {
            let partnership = call(hub.partnerships().add_partnership(AddPartnershipRequest::from(add))).await?;
            output::print_record(&partnership, json, partnership_fields)
        }
        PartnershipsCommand::List { actor, page } => list(&hub, actor.unwrap_or_default(), &page, json).await,
        PartnershipsCommand::Remove { id } => {
            let removed = call(hub.partnerships().remove_partnership(RemovePartnershipRequest { id })).await?;
            if json {
                return output::print_json(&removed);
            }
            eprintln!("removed:");
            output::print_fields(partnership_fields(&removed.partnership.unwrap_or_default()));
            Ok(())
        }
    }
}

async fn list(hub: &Hub, actor_id: String, page_args: &PageArgs, json: bool) -> Result<(), CliError> {
    let request = ListPartnershipsRequest {
        actor_id,
        page_size: page_args.page_size.unwrap_or_default(),
        page_token: String::new(),
    };
    let client = hub.partnerships();
    let page = fetch_pages(page_args, |page_token| {
        let request = ListPartnershipsRequest {
            page_token,
            ..request.clone()
        };
        let mut client = client.clone();
        async move { call(client.list_partnerships(request)).await }
    })
    .await?;
    if json {
        return output::print_json(&page);
    }
    let rows = page.partnerships.iter().map(|partnership| {
        [
            partnership.id.clone(),
            partnership.actor_a.clone(),
            partnership.actor_b.clone(),
            code::<PartnershipKind>(partnership.kind),
            format!("{:.2}", partnership.trust),
            or_dash(&partnership.since),
            or_dash(&partnership.note),
        ]
    });
    let header = ["ID", "ACTOR A", "ACTOR B", "KIND", "TRUST", "SINCE", "NOTE"];
    output::print_table(&output::fitted_table(header, rows.collect(), 6), 0);
    output::page_hint(&page.next_page_token);
    Ok(())
}

/// A partnership as `field: value` lines.
fn partnership_fields(partnership: &Partnership) -> Vec<(&'static str, String)> {
    vec![
        ("id", partnership.id.clone()),
        ("actors", format!("{} - {}", partnership.actor_a, partnership.actor_b)),
        ("kind", code::<PartnershipKind>(partnership.kind)),
        ("trust", format!("{:.2}", partnership.trust)),
        ("since", or_dash(&partnership.since)),
        ("note", or_dash(&partnership.note)),
        ("created", timestamp(partnership.created_at.as_ref())),
    ]
}
