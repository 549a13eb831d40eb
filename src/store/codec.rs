//! How records are laid out on disk: one schema-version byte, then the record in postcard. The
//! version byte lets a later release recognise and migrate records an older one wrote.

use serde::{Deserialize, Serialize};

use super::{SCHEMA_VERSION, StoreError};

/// Encodes a record with the current schema version.
pub fn encode<R: Serialize>(record: &R) -> Result<Vec<u8>, StoreError> {
    postcard::to_extend(record, vec![SCHEMA_VERSION]).map_err(|error| StoreError::Corrupt {
        tree: "(encoding)",
        key: String::new(),
        reason: error.to_string(),
    })
}

/// Decodes a record, or a view of one that borrows its strings from `bytes`, refusing unknown
/// schema versions and malformed bytes with an error that names the tree and key.
pub fn decode<'de, R: Deserialize<'de>>(tree: &'static str, key: &[u8], bytes: &'de [u8]) -> Result<R, StoreError> {
    let corrupt = |reason: String| StoreError::Corrupt {
        tree,
        key: hex::encode(key),
        reason,
    };
    match bytes.split_first() {
        Some((&SCHEMA_VERSION, body)) => postcard::from_bytes(body).map_err(|error| corrupt(error.to_string())),
        Some((version, _)) => Err(corrupt(format!(
            "schema version {version} is not one this release reads ({SCHEMA_VERSION})"
        ))),
        None => Err(corrupt("empty value".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_garbage() {
        let bytes = encode(&("need", 42u32)).unwrap();
        assert_eq!(bytes[0], SCHEMA_VERSION);
        assert_eq!(
            decode::<(String, u32)>("needs", b"k", &bytes).unwrap(),
            ("need".to_string(), 42)
        );
        assert!(
            decode::<(String, u32)>("needs", b"k", &[9, 1, 2])
                .unwrap_err()
                .to_string()
                .contains("schema version 9")
        );
        assert!(decode::<(String, u32)>("needs", b"k", &[SCHEMA_VERSION, 0xff]).is_err());
    }
}
