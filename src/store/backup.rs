//! Backups: every tree of the store but the derived ones (which the hub rebuilds), entry by
//! entry, in one file a restore can check.
//!
//! Layout: the magic line `capacity-hub backup 1\n`, then one frame per entry (tree index as one
//! byte, key length and value length as big-endian u32, key, value), then a trailer: the byte
//! 0xFF, the entry count as big-endian u64 and the SHA-256 of everything before the trailer. A
//! truncated or altered file fails the check and restores nothing.

use std::io::{Read, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

use super::trees::TreeName;
use super::{Store, StoreConfig, StoreError};

const MAGIC: &[u8] = b"capacity-hub backup 1\n";
const TRAILER: u8 = 0xFF;

/// What a backup or restore moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackupSummary {
    pub entries: u64,
    pub bytes: u64,
}

fn io(error: std::io::Error) -> StoreError {
    StoreError::Incompatible(format!("backup I/O failed: {error}"))
}

fn malformed(reason: &str) -> StoreError {
    StoreError::Incompatible(format!("not a usable capacity-hub backup: {reason}"))
}

/// Writes through to `out` while hashing and counting.
struct Hashed<W> {
    out: W,
    hash: Sha256,
    bytes: u64,
}

impl<W: Write> Hashed<W> {
    fn put(&mut self, bytes: &[u8]) -> Result<(), StoreError> {
        self.hash.update(bytes);
        self.bytes += bytes.len() as u64;
        self.out.write_all(bytes).map_err(io)
    }
}

fn length(bytes: &[u8]) -> Result<[u8; 4], StoreError> {
    u32::try_from(bytes.len())
        .map(u32::to_be_bytes)
        .map_err(|_| malformed("an entry is larger than 4 GiB"))
}

impl Store {
    /// Writes every entry of every tree but the derived ones ([`TreeName::is_derived`]) to `out`.
    /// The caller keeps writers out meanwhile, so the copy is consistent.
    pub fn write_backup(&self, out: impl Write) -> Result<BackupSummary, StoreError> {
        let mut sink = Hashed {
            out,
            hash: Sha256::new(),
            bytes: 0,
        };
        sink.put(MAGIC)?;
        let mut entries = 0u64;
        for (index, name) in TreeName::ALL.iter().enumerate() {
            if name.is_derived() {
                continue;
            }
            for entry in self.trees.get(*name).iter() {
                let (key, value) = entry?;
                let tree = u8::try_from(index).map_err(|_| malformed("too many trees"))?;
                sink.put(&[tree])?;
                sink.put(&length(&key)?)?;
                sink.put(&length(&value)?)?;
                sink.put(&key)?;
                sink.put(&value)?;
                entries += 1;
            }
        }
        let digest = sink.hash.clone().finalize();
        sink.put(&[TRAILER])?;
        sink.put(&entries.to_be_bytes())?;
        sink.out.write_all(&digest).map_err(io)?;
        sink.out.flush().map_err(io)?;
        Ok(BackupSummary {
            entries,
            bytes: sink.bytes + 32,
        })
    }

    /// Restores a backup into `dir`, which must not hold a store yet. The file is checked in
    /// full before the new store is flushed; on any error the new directory is removed.
    pub fn restore_backup(dir: &Path, input: impl Read) -> Result<BackupSummary, StoreError> {
        if dir.exists() && std::fs::read_dir(dir).map_err(io)?.next().is_some() {
            return Err(StoreError::Incompatible(format!(
                "{} is not empty; restore into a new directory",
                dir.display()
            )));
        }
        let restored = Store::open(dir, &StoreConfig::default()).and_then(|store| store.read_backup(input));
        if restored.is_err() {
            let _ = std::fs::remove_dir_all(dir);
        }
        restored
    }

    fn read_backup(self, mut input: impl Read) -> Result<BackupSummary, StoreError> {
        let mut bytes = Vec::new();
        input.read_to_end(&mut bytes).map_err(io)?;
        let body_end = bytes
            .len()
            .checked_sub(1 + 8 + 32)
            .ok_or_else(|| malformed("too short"))?;
        let (body, trailer) = bytes.split_at(body_end);
        if trailer[0] != TRAILER || Sha256::digest(body).as_slice() != &trailer[9..] {
            return Err(malformed("the checksum does not match (truncated or altered)"));
        }
        let expected = u64::from_be_bytes(trailer[1..9].try_into().map_err(|_| malformed("bad trailer"))?);
        let frames = body.strip_prefix(MAGIC).ok_or_else(|| malformed("wrong header"))?;
        let entries = self.load_frames(frames)?;
        if entries != expected {
            return Err(malformed("the entry count does not match"));
        }
        self.db.flush()?;
        Ok(BackupSummary {
            entries,
            bytes: bytes.len() as u64,
        })
    }

    fn load_frames(&self, mut frames: &[u8]) -> Result<u64, StoreError> {
        let mut entries = 0;
        while let Some((&tree, rest)) = frames.split_first() {
            let name = TreeName::ALL
                .get(usize::from(tree))
                .ok_or_else(|| malformed("unknown tree"))?;
            let (key_len, rest) = take(rest, 4)?;
            let (value_len, rest) = take(rest, 4)?;
            let (key, rest) = take(rest, as_len(key_len)?)?;
            let (value, rest) = take(rest, as_len(value_len)?)?;
            self.trees.get(*name).insert(key, value)?;
            entries += 1;
            frames = rest;
        }
        Ok(entries)
    }
}

/// Splits off the first `n` bytes, or fails on a truncated frame.
fn take(bytes: &[u8], n: usize) -> Result<(&[u8], &[u8]), StoreError> {
    (bytes.len() >= n)
        .then(|| bytes.split_at(n))
        .ok_or_else(|| malformed("truncated entry"))
}

/// A big-endian u32 length.
fn as_len(bytes: &[u8]) -> Result<usize, StoreError> {
    let array: [u8; 4] = bytes.try_into().map_err(|_| malformed("bad length"))?;
    Ok(u32::from_be_bytes(array) as usize)
}
