//! Backups: every tree of the store but the derived ones (which the hub rebuilds), entry by
//! entry, in one file a restore can check.
//!
//! Layout: the magic line `capacity-hub backup 1\n`, then one frame per entry (tree index as one
//! byte, key length and value length as big-endian u32, key, value), then a trailer: the byte
//! 0xFF, the entry count as big-endian u64 and the SHA-256 of everything before the trailer. A
//! truncated or altered file fails the check and restores nothing (see
//! [`Store::restore_backup`]).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::durability::SledFiles;
use super::trees::{FORMAT_KEY, TreeName, Trees};
use super::{Store, StoreError};

const MAGIC: &[u8] = b"capacity-hub backup 1\n";
const TRAILER: u8 = 0xFF;
/// Bytes read from the backup at a time.
const READ_BUFFER: usize = 256 * 1024;
/// Entries of one tree written to the new store in one batch.
const BATCH_ENTRIES: usize = 1024;
/// How often the walk reads the entry it is at a second time, through `get`. sled's page cache
/// queues each access in one of 256 shards and evicts only once a shard has queued 64, so a walk
/// that reads each page once loads up to 16,384 pages before the first eviction: at tier L,
/// 75-120 MiB of decoded needs and offers. Reading every fourth entry again queues its page
/// again, so the queues fill and the cache evicts as the walk goes (BENCHMARKS.md, "The
/// backup's walk and sled's cache").
const REREAD_EVERY: usize = 4;
/// The largest key or value a restore accepts (a store entry is far smaller), so a damaged
/// length cannot make it allocate gigabytes before the checksum fails.
const MAX_ENTRY_BYTES: usize = 64 * 1024 * 1024;

/// What a backup or restore moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackupSummary {
    pub entries: u64,
    pub bytes: u64,
}

fn io(error: std::io::Error) -> StoreError {
    StoreError::Backup(error.to_string())
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
            let tree = self.trees.get(*name);
            let tree_byte = u8::try_from(index).map_err(|_| malformed("too many trees"))?;
            for (position, entry) in tree.iter().enumerate() {
                let (key, value) = entry?;
                if position % REREAD_EVERY == 0 {
                    tree.get(&key)?;
                }
                sink.put(&[tree_byte])?;
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

    /// Restores a backup into `dir`, which must not hold a store yet, reading it entry by entry
    /// (memory stays bounded by sled's cache, whatever the backup's size).
    ///
    /// The store is built in a staging directory beside `dir` and renamed to `dir` only when the
    /// whole file has been read, its checksum checked and the store synced, so a restore that
    /// fails or is killed leaves no `dir` at all. The staging store gets its format mark last,
    /// so it is refused as "not a capacity-hub store" should anyone open it; the next restore
    /// into `dir` removes it.
    pub fn restore_backup(dir: &Path, input: impl Read) -> Result<BackupSummary, StoreError> {
        let empty_dir = dir.exists() && std::fs::read_dir(dir).map_err(io)?.next().is_none();
        if dir.exists() && !empty_dir {
            return Err(StoreError::Incompatible(format!(
                "{} is not empty; restore into a new directory",
                dir.display()
            )));
        }
        let staging = staging_dir(dir)?;
        if staging.exists() {
            std::fs::remove_dir_all(&staging).map_err(io)?;
        }
        let restored = restore_into(&staging, input);
        let renamed = restored.and_then(|summary| {
            if empty_dir {
                std::fs::remove_dir(dir).map_err(io)?;
            }
            std::fs::rename(&staging, dir).map_err(io)?;
            // The rename is durable once the directory holding it is synced.
            let parent = match dir.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => parent,
                _ => Path::new("."),
            };
            std::fs::File::open(parent)
                .and_then(|parent| parent.sync_all())
                .map_err(io)?;
            Ok(summary)
        });
        if renamed.is_err() {
            let _ = std::fs::remove_dir_all(&staging);
        }
        renamed
    }
}

/// Where a restore into `dir` builds the store: a hidden directory beside it.
fn staging_dir(dir: &Path) -> Result<PathBuf, StoreError> {
    let name = dir
        .file_name()
        .ok_or_else(|| StoreError::Incompatible(format!("{} names no directory to restore into", dir.display())))?;
    let mut staging = std::ffi::OsString::from(".");
    staging.push(name);
    staging.push(".restoring");
    Ok(dir.with_file_name(staging))
}

/// Loads the backup into a new sled store in `staging`, marks it as a capacity-hub store once
/// every entry is in and checked, and syncs it.
fn restore_into(staging: &Path, input: impl Read) -> Result<BackupSummary, StoreError> {
    let cache = super::StoreConfig::default().cache_bytes;
    let db = sled::Config::new().path(staging).cache_capacity(cache).open()?;
    let trees = Trees::open(&db)?;
    let mut reader = HashingReader {
        input: std::io::BufReader::with_capacity(READ_BUFFER, input),
        hash: Sha256::new(),
        bytes: 0,
    };
    let mut magic = vec![0; MAGIC.len()];
    reader.read_exact(&mut magic).map_err(|_| malformed("too short"))?;
    if magic != MAGIC {
        return Err(malformed("wrong header"));
    }
    let mut format_mark = None;
    let mut entries = 0u64;
    let mut batch = (TreeName::Meta, sled::Batch::default(), 0usize);
    loop {
        // The trailer's first byte is not covered by the checksum: read it unhashed.
        let mut tree = [0u8; 1];
        reader
            .input
            .read_exact(&mut tree)
            .map_err(|_| malformed("truncated entry"))?;
        if tree[0] == TRAILER {
            break;
        }
        reader.hash.update(tree);
        reader.bytes += 1;
        let name = *TreeName::ALL
            .get(usize::from(tree[0]))
            .ok_or_else(|| malformed("unknown tree"))?;
        let key_len = reader.length()?;
        let value_len = reader.length()?;
        let key = reader.bytes(key_len)?;
        let value = reader.bytes(value_len)?;
        entries += 1;
        if name == TreeName::Meta && key == FORMAT_KEY {
            format_mark = Some(value);
            continue;
        }
        if batch.0 != name || batch.2 == BATCH_ENTRIES {
            trees.get(batch.0).apply_batch(std::mem::take(&mut batch.1))?;
            batch = (name, sled::Batch::default(), 0);
        }
        batch.1.insert(key, value);
        batch.2 += 1;
    }
    trees.get(batch.0).apply_batch(batch.1)?;
    let digest = reader.hash.clone().finalize();
    let mut trailer = [0u8; 8 + 32];
    reader
        .input
        .read_exact(&mut trailer)
        .map_err(|_| malformed("the checksum does not match (truncated or altered)"))?;
    if trailer[8..] != digest[..] {
        return Err(malformed("the checksum does not match (truncated or altered)"));
    }
    let expected = u64::from_be_bytes(trailer[..8].try_into().map_err(|_| malformed("bad trailer"))?);
    if entries != expected {
        return Err(malformed("the entry count does not match"));
    }
    let mut rest = [0u8; 1];
    if reader.input.read(&mut rest).map_err(io)? != 0 {
        return Err(malformed("bytes after the trailer"));
    }
    let format_mark = format_mark.ok_or_else(|| malformed("it holds no store format mark"))?;
    trees.get(TreeName::Meta).insert(FORMAT_KEY, format_mark)?;
    SledFiles::open(staging).map_err(io)?.sync(&db)?;
    Ok(BackupSummary {
        entries,
        bytes: reader.bytes + 1 + 8 + 32,
    })
}

/// Reads the backup while hashing and counting what it read.
struct HashingReader<R> {
    input: R,
    hash: Sha256,
    bytes: u64,
}

impl<R: Read> HashingReader<R> {
    fn read_exact(&mut self, buffer: &mut [u8]) -> std::io::Result<()> {
        self.input.read_exact(buffer)?;
        self.hash.update(&*buffer);
        self.bytes += buffer.len() as u64;
        Ok(())
    }

    /// A big-endian u32 length.
    fn length(&mut self) -> Result<usize, StoreError> {
        let mut bytes = [0u8; 4];
        self.read_exact(&mut bytes).map_err(|_| malformed("truncated entry"))?;
        Ok(u32::from_be_bytes(bytes) as usize)
    }

    /// The next `n` bytes; a length beyond what a store entry holds is refused before reading.
    fn bytes(&mut self, n: usize) -> Result<Vec<u8>, StoreError> {
        if n > MAX_ENTRY_BYTES {
            return Err(malformed("an entry is larger than any the hub writes"));
        }
        let mut bytes = vec![0; n];
        self.read_exact(&mut bytes).map_err(|_| malformed("truncated entry"))?;
        Ok(bytes)
    }
}
