//! Any bytes, read as a stored record of each kind, must decode or be refused as corrupt, never
//! panic: a damaged store is an error, not a crash.

#![no_main]

use capacity_hub::domain::{Actor, HubEvent, Match, Need, Offer, PairPreference, Partnership, Practice};
use capacity_hub::store::codec::decode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = decode::<Actor>("actors", b"key", data);
    let _ = decode::<Need>("needs", b"key", data);
    let _ = decode::<Offer>("offers", b"key", data);
    let _ = decode::<Partnership>("partnerships", b"key", data);
    let _ = decode::<Match>("matches", b"key", data);
    let _ = decode::<HubEvent>("events", b"key", data);
    let _ = decode::<Practice>("practices", b"key", data);
    let _ = decode::<PairPreference>("preferences", b"key", data);
});
