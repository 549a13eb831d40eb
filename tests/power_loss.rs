//! Durability against power loss, shown by the server's own system calls: the server binary runs
//! under `strace`, clients submit needs (some one after another, some at once), and the trace
//! must show, for every acknowledged SubmitNeed, the request read from the socket, then the need
//! written to sled's log file, then an `fsync`/`fdatasync` of that file completed, and only then
//! the answer written to the socket. sled's own flush ends in `sync_file_range`, which is not
//! enough (it leaves the disk's cache and the file's metadata unwritten), so a hub without its
//! own sync fails this test.
//!
//! It needs strace (Debian's `strace` package), so it is ignored by `cargo test`; `.ci/run`
//! installs strace and runs it: `cargo test --test power_loss -- --ignored`.

mod common;

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;

use common::{
    ActorKind, ActorServiceClient, Level, Modality, NeedServiceClient, RegisterActorRequest, ServerProcess,
    SubmitNeedRequest,
};

/// Clients submitting at once, and needs each submits one after another.
const CLIENTS: usize = 4;
const NEEDS_PER_CLIENT: usize = 8;

/// Starts the server under strace, which writes the trace to `trace`.
fn start_traced(data_dir: &Path, trace: &Path) -> ServerProcess {
    let wrapper = [
        OsStr::new("strace"),
        // Follow every thread, show each descriptor's path, and show enough of each buffer to
        // find a need's title in it.
        OsStr::new("-f"),
        OsStr::new("-qq"),
        OsStr::new("-y"),
        OsStr::new("-s"),
        OsStr::new("65536"),
        OsStr::new("-e"),
        OsStr::new(
            "trace=read,readv,recvfrom,recvmsg,write,writev,sendto,sendmsg,pwrite64,pwritev,pwritev2,fsync,fdatasync",
        ),
        OsStr::new("-o"),
        trace.as_os_str(),
    ];
    ServerProcess::start_under(&wrapper, data_dir)
}

/// Stops the server with SIGTERM (strace's only child) and waits for strace to finish the trace.
fn stop_traced(mut server: ServerProcess) {
    let strace = server.child();
    let pid = strace.id();
    let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).expect("strace's children");
    let traced = children.split_whitespace().next().expect("strace runs the server");
    let status = Command::new("kill")
        .args(["-TERM", traced])
        .status()
        .expect("kill runs");
    assert!(status.success(), "SIGTERM the server");
    let exit = strace.wait().expect("strace exits with the server");
    assert!(exit.success(), "the server shut down cleanly under strace: {exit}");
}

/// One system call of the trace, in the order it completed (or started, for calls whose data
/// is printed at entry).
#[derive(Debug)]
struct Call {
    name: String,
    /// The first argument as strace shows it with `-y`: `7</path/to/file>` or `9<socket:[…]>`.
    descriptor: String,
    /// The rest of the line: arguments, buffers and result.
    text: String,
}

impl Call {
    fn on_log_file(&self) -> bool {
        self.descriptor.ends_with("/db>")
    }

    fn on_socket(&self) -> bool {
        self.descriptor.contains("<TCP") || self.descriptor.contains("<socket:")
    }

    fn succeeded(&self) -> bool {
        self.text
            .rsplit_once(" = ")
            .is_some_and(|(_, result)| !result.trim_start().starts_with('-'))
    }
}

/// Reads strace's log into calls, joining `<unfinished ...>` halves with their `<... resumed>`
/// halves (so a call sits where it completed, its buffer included).
fn parse_trace(text: &str) -> Vec<Call> {
    let mut unfinished: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    let mut calls = Vec::new();
    for line in text.lines() {
        let Some((pid, rest)) = line.split_once(' ') else {
            continue;
        };
        let rest = rest.trim_start();
        let whole = if let Some(start) = rest.strip_suffix(" <unfinished ...>") {
            unfinished.insert(pid.to_string(), start.to_string());
            continue;
        } else if let Some(resumed) = rest.strip_prefix("<... ") {
            let Some((_, tail)) = resumed.split_once(" resumed>") else {
                continue;
            };
            match unfinished.remove(pid) {
                Some(start) => format!("{start}{tail}"),
                None => continue,
            }
        } else {
            rest.to_string()
        };
        let Some((name, arguments)) = whole.split_once('(') else {
            continue;
        };
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let descriptor = arguments.split([',', ')']).next().unwrap_or_default().to_string();
        calls.push(Call {
            name: name.to_string(),
            descriptor,
            text: arguments.to_string(),
        });
    }
    calls
}

/// Where in `calls` the acknowledged need titled `title` went through each step, or which step
/// is missing.
fn check_need(calls: &[Call], title: &str) -> Result<(), String> {
    let position = |from: usize, what: &str, matches: &dyn Fn(&Call) -> bool| {
        calls[from..]
            .iter()
            .position(matches)
            .map(|offset| from + offset)
            .ok_or_else(|| format!("{title}: no {what} after call {from}"))
    };
    let reads = ["read", "readv", "recvfrom", "recvmsg"];
    let writes = ["write", "writev", "sendto", "sendmsg"];
    let request = position(0, "request read from a socket", &|call| {
        reads.contains(&call.name.as_str()) && call.on_socket() && call.text.contains(title)
    })?;
    let logged = position(request, "write of the need to the log file", &|call| {
        call.name.starts_with("pwrite") && call.on_log_file() && call.text.contains(title)
    })?;
    let synced = position(logged, "completed fsync or fdatasync of the log file", &|call| {
        matches!(call.name.as_str(), "fsync" | "fdatasync") && call.on_log_file() && call.succeeded()
    })?;
    let answered = position(request, "answer written to a socket", &|call| {
        writes.contains(&call.name.as_str()) && call.on_socket() && call.text.contains(title)
    })?;
    if answered < synced {
        return Err(format!(
            "{title}: answered (call {answered}) before the log file was synced (call {synced}, written at call {logged})"
        ));
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs strace; .ci/run runs it"]
async fn every_acknowledged_submit_follows_a_sync_of_the_log() {
    let data = tempfile::tempdir().unwrap();
    let trace = data.path().join("strace.log");
    let store = data.path().join("store");
    let server = start_traced(&store, &trace);
    let channel = server.channel().await;
    let requester = ActorServiceClient::new(channel.clone())
        .register_actor(RegisterActorRequest {
            name: "Ministry of the Interior".into(),
            kind: ActorKind::NationalGovernment as i32,
            country: "MEX".into(),
            languages: vec!["es".into()],
            ..RegisterActorRequest::default()
        })
        .await
        .unwrap()
        .into_inner()
        .actor
        .unwrap()
        .id;

    let mut clients = Vec::new();
    for client in 0..CLIENTS {
        let channel = server.channel().await;
        let requester = requester.clone();
        clients.push(tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            for number in 0..NEEDS_PER_CLIENT {
                let title = format!("Border officials trained in victim identification, group q{client}x{number}z");
                let reply = NeedServiceClient::new(channel.clone())
                    .submit_need(SubmitNeedRequest {
                        requester_id: requester.clone(),
                        title: title.clone(),
                        themes: vec![10],
                        modalities: vec![Modality::Training as i32],
                        level: Level::National as i32,
                        ..SubmitNeedRequest::default()
                    })
                    .await
                    .expect("SubmitNeed is acknowledged");
                assert_eq!(reply.into_inner().title, title);
                acknowledged.push(title);
            }
            acknowledged
        }));
    }
    let mut acknowledged = Vec::new();
    for client in clients {
        acknowledged.extend(client.await.unwrap());
    }
    drop(channel);
    stop_traced(server);

    let calls = parse_trace(&std::fs::read_to_string(&trace).expect("strace wrote its log"));
    assert_eq!(acknowledged.len(), CLIENTS * NEEDS_PER_CLIENT);
    let failures: Vec<String> = acknowledged
        .iter()
        .filter_map(|title| check_need(&calls, title).err())
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} acknowledged needs were not synced before their answer:\n{}",
        failures.len(),
        acknowledged.len(),
        failures.join("\n")
    );
}
