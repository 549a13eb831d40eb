//! Ranking quality on the labelled relevance set (`data/relevance`): the hub with text relevance
//! must beat the same hub blind to words by a clear margin, on the whole set and on the held-out
//! half the weights were not chosen on. No timing here: `cargo bench --bench matching --
//! relevance` prints the full table.

use std::path::Path;

use capacity_hub::hub::{Hub, HubSettings};
use capacity_hub::matching::ScoreWeights;
use capacity_hub::quality::{self, Judgement};

/// How much better reading the words must rank than the codes alone, on each measure.
const MARGIN_P1: f64 = 0.08;
const MARGIN_MRR: f64 = 0.05;
const MARGIN_NDCG: f64 = 0.04;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_the_words_beats_ranking_by_codes_alone() {
    let dir = tempfile::tempdir().unwrap();
    let hub = Hub::open(dir.path(), HubSettings::default()).unwrap();
    let set = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/relevance");
    let judgements = quality::judge(&hub, &quality::set_files(&set).unwrap()).await.unwrap();
    assert!(judgements.len() >= 60, "only {} graded needs", judgements.len());
    let cross: Vec<&Judgement> = judgements.iter().filter(|j| j.cross_language).collect();
    assert!(cross.len() >= 15, "only {} cross-language needs", cross.len());

    let with_text = ScoreWeights::default();
    let blind = with_text.with_text_share(0.0);
    let held_out: Vec<&Judgement> = judgements.iter().filter(|j| j.held_out).collect();
    for (group, name) in [
        (judgements.iter().collect::<Vec<_>>(), "whole set"),
        (held_out.clone(), "held-out half"),
    ] {
        let text = quality::measure(group.iter().copied(), &with_text);
        let codes = quality::measure(group.iter().copied(), &blind);
        assert!(
            text.precision_at_1 >= codes.precision_at_1 + MARGIN_P1,
            "{name}: precision@1 {:.3} with text, {:.3} blind",
            text.precision_at_1,
            codes.precision_at_1
        );
        assert!(
            text.mrr >= codes.mrr + MARGIN_MRR,
            "{name}: MRR {:.3} with text, {:.3} blind",
            text.mrr,
            codes.mrr
        );
        assert!(
            text.ndcg_at_5 >= codes.ndcg_at_5 + MARGIN_NDCG,
            "{name}: NDCG@5 {:.3} with text, {:.3} blind",
            text.ndcg_at_5,
            codes.ndcg_at_5
        );
    }

    // The goals on the half the weights were not chosen on.
    let (cross_held_out, same_held_out): (Vec<&Judgement>, Vec<&Judgement>) =
        held_out.iter().partition(|j| j.cross_language);
    let same = quality::measure(same_held_out, &with_text);
    assert!(
        same.precision_at_1 >= 0.8 && same.ndcg_at_5 >= 0.85,
        "same-language held out: {same:?}"
    );
    let cross = quality::measure(cross_held_out, &with_text);
    assert!(cross.precision_at_1 >= 0.6, "cross-language held out: {cross:?}");
}
