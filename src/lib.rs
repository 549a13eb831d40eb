//! capacity-hub: the connection hub of the Global Compact for Migration (paragraph 43). Needs and
//! offers of capacity development are stored in sled, partnerships form a graph in petgraph, and
//! the hub ranks and explains the best providers for every need over gRPC.
//!
//! Crate map (dependencies point down the list):
//! - [`rpc`]: tonic services, one file per service; conversion and the one error mapping.
//! - [`server`]: the router (services, health, reflection, gRPC-Web) and graceful shutdown.
//! - [`web`]: the web app embedded in the binary, served at `/`.
//! - [`metrics`]: the Prometheus metrics of `serve --metrics-addr`: the calls (a tower layer the
//!   server puts around the routes), the store's flushes, and gauges read from the hub.
//! - [`cli`]: the `capacity-hub` command line: `serve` and the client subcommands.
//! - [`demo`]: the 2018 workshop world that `serve --demo` loads.
//! - [`quality`]: ranking quality (precision@1, MRR, NDCG@5) on the labelled relevance set.
//! - [`synthetic`]: deterministic synthetic worlds (tiers S, M, L) for benchmarks.
//! - [`hub`]: the application core, one method per use case.
//! - [`search`]: the search index over needs, offers, practices and actors (tantivy), kept up to
//!   date from the store's search feed.
//! - [`matching`]: hard filters and the explained, weighted score of a need-offer pair.
//! - [`graph`]: the partnership graph, bounded trust paths, and the form kept between starts.
//! - [`store`]: sled trees, indexes, codec, idempotency keys, group commit and the graph file.
//! - [`text`]: reading titles and descriptions: languages, analysers, the glossary, BM25.
//! - [`domain`]: the vocabulary and rules of DOMAIN.md, with no I/O.
//! - [`proto`]: the generated gRPC messages, servers and clients.

#![forbid(unsafe_code)]

pub mod cli;
pub mod demo;
pub mod domain;
pub mod graph;
pub mod hub;
pub mod matching;
pub mod metrics;
pub mod quality;
pub mod rpc;
pub mod search;
pub mod server;
pub mod store;
pub mod synthetic;
pub mod text;
pub mod web;

/// Messages, servers and clients generated from `proto/capacityhub/v1`. Their docs are the
/// protos' comments, written for any client's reader rather than as rustdoc's markdown.
#[allow(clippy::all, missing_docs, rustdoc::invalid_html_tags)]
pub mod proto {
    tonic::include_proto!("capacityhub.v1");

    /// The encoded descriptor set, for gRPC reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/capacityhub_descriptor.bin"));
}
