//! Where a command writes what it makes: stdout, or a file that only appears once it is whole.
//! A file is written as `FILE.partial` and renamed at the end, so an export or backup that fails
//! half-way never leaves a file that looks complete.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, BufWriter, Stdout, Write};
use std::path::{Path, PathBuf};

use super::CliError;

/// The destination of a command's output, from its `--output` (or `--to`) flag.
pub struct Output {
    sink: Sink,
}

enum Sink {
    Stdout(BufWriter<Stdout>),
    File {
        writer: BufWriter<File>,
        partial: PathBuf,
        path: PathBuf,
        done: bool,
    },
}

impl Output {
    /// Stdout when `path` is none, else `path` by way of `path.partial`.
    pub fn create(path: Option<&Path>) -> Result<Output, CliError> {
        let Some(path) = path else {
            return Ok(Output {
                sink: Sink::Stdout(BufWriter::new(io::stdout())),
            });
        };
        let partial = partial_path(path);
        let file = File::create(&partial).map_err(|error| format!("cannot create {}: {error}", partial.display()))?;
        Ok(Output {
            sink: Sink::File {
                writer: BufWriter::new(file),
                partial,
                path: path.to_owned(),
                done: false,
            },
        })
    }

    /// Where the output goes, for messages: the file's name or `stdout`.
    pub fn name(&self) -> String {
        match &self.sink {
            Sink::Stdout(_) => "stdout".to_owned(),
            Sink::File { path, .. } => path.display().to_string(),
        }
    }

    /// Flushes everything; a file is synced to disk and only then takes its real name.
    pub fn finish(mut self) -> Result<(), CliError> {
        match &mut self.sink {
            Sink::Stdout(writer) => match writer.flush() {
                Err(error) if !reader_gone(&error) => Err(format!("cannot write to stdout: {error}").into()),
                _ => Ok(()),
            },
            Sink::File {
                writer,
                partial,
                path,
                done,
            } => {
                let failed = |error: io::Error| format!("cannot write {}: {error}", partial.display());
                writer.flush().map_err(failed)?;
                writer.get_ref().sync_all().map_err(failed)?;
                std::fs::rename(&*partial, &*path)
                    .map_err(|error| format!("cannot rename {} to {}: {error}", partial.display(), path.display()))?;
                *done = true;
                Ok(())
            }
        }
    }
}

impl Write for Output {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        match &mut self.sink {
            Sink::Stdout(writer) => writer.write(bytes),
            Sink::File { writer, .. } => writer.write(bytes),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.sink {
            Sink::Stdout(writer) => writer.flush(),
            Sink::File { writer, .. } => writer.flush(),
        }
    }
}

impl Drop for Output {
    /// An output dropped before [`Output::finish`] failed: its partial file goes.
    fn drop(&mut self) {
        if let Sink::File {
            partial, done: false, ..
        } = &self.sink
        {
            let _ = std::fs::remove_file(partial);
        }
    }
}

/// `FILE.partial` next to `FILE`.
fn partial_path(path: &Path) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    name.push(".partial");
    PathBuf::from(name)
}

/// Whether a write failed because the reader went away (`| head`): the command should then stop
/// quietly, not report an error.
pub fn reader_gone(error: &io::Error) -> bool {
    error.kind() == io::ErrorKind::BrokenPipe
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_appears_only_when_finished() -> Result<(), CliError> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("export.jsonl");
        let mut output = Output::create(Some(&path))?;
        output.write_all(b"{}\n")?;
        assert!(!path.exists());
        assert!(dir.path().join("export.jsonl.partial").exists());
        output.finish()?;
        assert_eq!(std::fs::read(&path)?, b"{}\n");
        assert!(!dir.path().join("export.jsonl.partial").exists());
        Ok(())
    }

    #[test]
    fn a_failed_output_leaves_nothing() -> Result<(), CliError> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("hub.bin");
        let mut output = Output::create(Some(&path))?;
        output.write_all(b"half a backup")?;
        drop(output);
        assert_eq!(std::fs::read_dir(dir.path())?.count(), 0);
        Ok(())
    }
}
