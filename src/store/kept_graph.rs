//! The partnership graph kept in a file beside the store, so that an open need not read a
//! million partnerships again when none changed since the last one.
//!
//! The file is derived data, like the offers' readings: it is never the only copy of anything,
//! backups leave it out, and a file that is missing, damaged or stale is ignored and the graph
//! rebuilt from the partnerships. Staleness is decided by the partnerships' version, a random
//! number the store writes in the same transaction as every change to the partnerships tree
//! ([`super::Store::apply`]): the file carries the version of the partnerships it was made
//! from, and is used only while that is still the store's version. A crash between a change and
//! the next keeping of the graph leaves a stale file, and the next open rebuilds.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{Store, StoreError, TreeName};

/// The file's name in the data directory.
const FILE_NAME: &str = "partnership-graph";

/// What the file starts with; the number at its end changes whenever the body's layout does.
const MAGIC: &[u8] = b"capacity-hub partnership graph 1\n";

/// Meta key of the partnerships' version.
pub(super) const PARTNERSHIPS_VERSION_KEY: &[u8] = b"partnerships_version";

impl Store {
    /// The partnerships' version: it changes with every change to the partnerships, and is 0 in
    /// a store whose partnerships never changed since it was created (or restored). `None` when
    /// the stored version is damaged.
    pub fn partnerships_version(&self) -> Result<Option<u64>, StoreError> {
        let meta = self.trees.get(TreeName::Meta);
        Ok(match meta.get(PARTNERSHIPS_VERSION_KEY)? {
            Some(bytes) => bytes.as_ref().try_into().map(u64::from_be_bytes).ok(),
            None => Some(0),
        })
    }

    /// The graph kept for partnerships at `version`, as [`Store::keep_graph`] was given it; `None`
    /// when none is kept for that version or the file is damaged (logged).
    pub fn kept_graph(&self, version: u64) -> Option<Vec<u8>> {
        let path = self.kept_graph_path();
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return None,
            Err(error) => {
                tracing::warn!(%error, path = %path.display(), "kept partnership graph unreadable; rebuilt");
                return None;
            }
        };
        match unwrap_kept(bytes, version) {
            Ok(body) => body,
            Err(reason) => {
                tracing::warn!(reason, path = %path.display(), "kept partnership graph damaged; rebuilt");
                None
            }
        }
    }

    /// Keeps `body`, the graph of the partnerships at `version`, for the next open. Written to a
    /// temporary file and renamed over the old one, so a crash leaves one or the other whole.
    pub fn keep_graph(&self, version: u64, body: &[u8]) -> Result<(), StoreError> {
        let path = self.kept_graph_path();
        let temporary = path.with_extension("partial");
        let io = |error: std::io::Error| StoreError::Flush(format!("keeping the partnership graph: {error}"));
        let header = [MAGIC, &version.to_be_bytes(), &(body.len() as u64).to_be_bytes()].concat();
        let digest = Sha256::new().chain_update(&header).chain_update(body).finalize();
        let written = std::fs::File::create(&temporary)
            .and_then(|file| {
                let mut file = std::io::BufWriter::new(file);
                for part in [&header[..], body, &digest[..]] {
                    file.write_all(part)?;
                }
                file.into_inner().map_err(|error| error.into_error())?.sync_all()
            })
            .and_then(|()| std::fs::rename(&temporary, &path));
        if written.is_err() {
            // Nothing is left half-written: the old file, if any, is still whole.
            let _ = std::fs::remove_file(&temporary);
        }
        written.map_err(io)
    }

    fn kept_graph_path(&self) -> PathBuf {
        kept_graph_path(&self.dir)
    }
}

/// Where the graph of the store in `dir` is kept.
fn kept_graph_path(dir: &Path) -> PathBuf {
    dir.join(FILE_NAME)
}

/// The body of a kept file, `None` when it was kept for another version, or why it is damaged.
fn unwrap_kept(mut bytes: Vec<u8>, version: u64) -> Result<Option<Vec<u8>>, &'static str> {
    let header_len = MAGIC.len() + 16;
    if bytes.len() < header_len + 32 {
        return Err("too short");
    }
    if !bytes.starts_with(MAGIC) {
        return Err("not a partnership graph of this release");
    }
    let number = |at: usize| u64::from_be_bytes(bytes[at..at + 8].try_into().unwrap_or_default());
    let (kept_version, body_len) = (number(MAGIC.len()), number(MAGIC.len() + 8));
    if usize::try_from(body_len).ok() != Some(bytes.len() - header_len - 32) {
        return Err("cut short or too long");
    }
    let (kept, digest) = bytes.split_at(bytes.len() - 32);
    if Sha256::digest(kept).as_slice() != digest {
        return Err("the checksum does not match");
    }
    if kept_version != version {
        return Ok(None);
    }
    bytes.truncate(bytes.len() - 32);
    bytes.drain(..header_len);
    Ok(Some(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoreConfig;

    #[test]
    fn a_kept_graph_is_given_back_for_its_version_only() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &StoreConfig::default()).unwrap();
        assert_eq!(store.kept_graph(0), None, "nothing kept yet");
        store.keep_graph(7, b"the graph").unwrap();
        assert_eq!(store.kept_graph(7).as_deref(), Some(&b"the graph"[..]));
        assert_eq!(store.kept_graph(8), None, "stale");
        store.keep_graph(8, b"").unwrap();
        assert_eq!(
            store.kept_graph(8).as_deref(),
            Some(&b""[..]),
            "an empty graph is a graph"
        );
    }

    #[test]
    fn a_damaged_kept_graph_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &StoreConfig::default()).unwrap();
        store.keep_graph(7, b"the graph").unwrap();
        let path = kept_graph_path(dir.path());
        let whole = std::fs::read(&path).unwrap();
        let mut flipped = whole.clone();
        flipped[MAGIC.len() + 16] ^= 1;
        for damaged in [
            whole[..whole.len() - 1].to_vec(),
            whole[..10].to_vec(),
            flipped,
            [b"x", &whole[1..]].concat(),
        ] {
            std::fs::write(&path, &damaged).unwrap();
            assert_eq!(store.kept_graph(7), None);
        }
    }
}
