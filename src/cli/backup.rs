//! `capacity-hub backup` and `restore`: a consistent copy of the whole store, taken from a
//! running hub (or, with `--data-dir`, from a store no server holds), and brought back into a new
//! data directory.

use std::fs::File;
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};

use clap::Args;

use super::CliError;
use super::client::{ClientArgs, Hub, RpcError, call};
use super::files::Output;
use super::output::say;
use crate::hub::{self, BackupSummary, HubError, HubSettings};
use crate::proto::BackupRequest;
use crate::store::StoreError;

/// `capacity-hub backup`
#[derive(Debug, Args)]
#[command(
    after_help = "The copy is consistent: writes wait while it is taken, so it holds every write \
acknowledged before it began. It is written to FILE.partial and renamed to FILE only when complete.

Schedule it with cron, e.g. every night at 03:00 (cron needs % escaped):
  0 3 * * * capacity-hub backup --to /var/backups/hub-$(date +\\%F).bin --token $ADMIN

Bring a backup back with `capacity-hub restore --from FILE --data-dir NEW_DIR`."
)]
pub struct BackupArgs {
    /// File to write the backup to.
    #[arg(long, value_name = "FILE")]
    to: PathBuf,
    /// Back up the store in this directory directly, without a server. It fails while a server
    /// holds the store: back up through the server (with the admin --token) instead.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    #[command(flatten)]
    client: ClientArgs,
}

/// `capacity-hub restore`
#[derive(Debug, Args)]
#[command(
    after_help = "Offline: no server is involved. The backup's checksum is checked before anything \
is kept; then serve the restored store with `capacity-hub serve --data-dir DIR`."
)]
pub struct RestoreArgs {
    /// The backup file, as written by `capacity-hub backup`.
    #[arg(long, value_name = "FILE")]
    from: PathBuf,
    /// A new or empty directory to restore into; a directory holding anything is refused.
    #[arg(long, value_name = "DIR")]
    data_dir: PathBuf,
}

/// Takes a backup from the running hub, or from `--data-dir` without one.
pub async fn backup(args: BackupArgs) -> Result<(), CliError> {
    let mut out = Output::create(Some(&args.to))?;
    let summary = match &args.data_dir {
        Some(dir) => {
            let (summary, written) = backup_offline(dir, out).await?;
            out = written;
            summary
        }
        None => backup_online(&args.client, &mut out).await?,
    };
    out.finish()?;
    say!(
        "backed up {} entries ({}) to {}",
        summary.entries,
        size(summary.bytes),
        args.to.display()
    );
    Ok(())
}

/// Streams the backup chunks of the running hub into `out`.
async fn backup_online(client: &ClientArgs, out: &mut Output) -> Result<BackupSummary, CliError> {
    let hub = Hub::connect(client).await?;
    let mut chunks = call(hub.admin().backup(BackupRequest {})).await?;
    let mut summary = BackupSummary { entries: 0, bytes: 0 };
    loop {
        let chunk = match chunks.message().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => return Ok(summary),
            Err(status) => return Err(format!("{}; no backup was written", RpcError(status)).into()),
        };
        out.write_all(&chunk.data)
            .map_err(|error| format!("cannot write {}: {error}", out.name()))?;
        summary.bytes += chunk.data.len() as u64;
        summary.entries = summary.entries.max(chunk.entries);
    }
}

/// Opens the store in `dir` itself and writes its backup into `out`, which it gives back.
async fn backup_offline(dir: &Path, out: Output) -> Result<(BackupSummary, Output), CliError> {
    let store_there = std::fs::read_dir(dir)
        .map_err(|error| format!("--data-dir {}: {error}", dir.display()))?
        .next()
        .is_some();
    if !store_there {
        return Err(format!("--data-dir {} is empty: there is no store to back up", dir.display()).into());
    }
    let hub = std::sync::Arc::new(hub::Hub::open(dir, HubSettings::default()).map_err(|error| {
        if is_locked(&error) {
            format!(
                "cannot open the store in {}: a running server holds it; back up through the server instead: drop --data-dir and give the admin --token",
                dir.display()
            )
        } else {
            format!("cannot open the store in {}: {error}", dir.display())
        }
    })?);
    Ok(hub.backup(out).await?)
}

/// Whether opening a store failed because another process (a server) holds its lock.
fn is_locked(error: &HubError) -> bool {
    matches!(error, HubError::Store(StoreError::Sled(error)) if crate::store::lock_held(error))
}

/// Restores a backup file into a new data directory.
pub fn restore(args: RestoreArgs) -> Result<(), CliError> {
    let file = File::open(&args.from).map_err(|error| format!("cannot read {}: {error}", args.from.display()))?;
    let summary = hub::Hub::restore(&args.data_dir, BufReader::new(file))
        .map_err(|error| format!("cannot restore {}: {error}", args.from.display()))?;
    say!(
        "restored {} entries ({}) into {}; serve them with `capacity-hub serve --data-dir {}`",
        summary.entries,
        size(summary.bytes),
        args.data_dir.display(),
        args.data_dir.display()
    );
    Ok(())
}

/// A byte count for people: `812 bytes`, `48.3 KiB`, `2.1 MiB`.
fn size(bytes: u64) -> String {
    const KIB: f64 = 1024.0;
    // Precision is irrelevant at these sizes; the cast is for display only.
    #[allow(clippy::cast_precision_loss)]
    let value = bytes as f64;
    if value < KIB {
        format!("{bytes} bytes")
    } else if value < KIB * KIB {
        format!("{:.1} KiB", value / KIB)
    } else {
        format!("{:.1} MiB", value / (KIB * KIB))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_for_people() {
        assert_eq!(size(812), "812 bytes");
        assert_eq!(size(49_459), "48.3 KiB");
        assert_eq!(size(2_202_010), "2.1 MiB");
    }

    #[tokio::test]
    async fn an_offline_backup_refuses_a_missing_or_empty_dir() -> Result<(), CliError> {
        let dir = tempfile::tempdir()?;
        let target = dir.path().join("hub.bin");
        let empty = dir.path().join("empty");
        std::fs::create_dir(&empty)?;
        for source in [dir.path().join("missing"), empty] {
            let out = Output::create(Some(&target))?;
            assert!(backup_offline(&source, out).await.is_err());
        }
        assert!(!target.exists());
        Ok(())
    }

    #[tokio::test]
    async fn an_offline_backup_says_when_a_server_holds_the_store() -> Result<(), CliError> {
        let dir = tempfile::tempdir()?;
        let store = dir.path().join("store");
        let _server = hub::Hub::open(&store, HubSettings::default())?;
        let out = Output::create(Some(&dir.path().join("hub.bin")))?;
        let error = backup_offline(&store, out).await.map(|_| ()).map_err(|e| e.to_string());
        assert!(
            matches!(&error, Err(m) if m.contains("a running server holds it")),
            "{error:?}"
        );
        Ok(())
    }

    #[tokio::test]
    async fn an_offline_backup_restores() -> Result<(), CliError> {
        let dir = tempfile::tempdir()?;
        let store = dir.path().join("store");
        drop(hub::Hub::open(&store, HubSettings::default())?);
        let file = dir.path().join("hub.bin");
        let out = Output::create(Some(&file))?;
        let (taken, out) = backup_offline(&store, out).await?;
        out.finish()?;
        let restored = hub::Hub::restore(&dir.path().join("restored"), BufReader::new(File::open(&file)?))?;
        assert_eq!(restored.entries, taken.entries);
        Ok(())
    }
}
