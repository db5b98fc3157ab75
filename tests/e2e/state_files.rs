//! The state directory shared by consoles on one machine: two processes that change the
//! pending undos at the same moment lose nothing, because each loads, changes and saves under
//! a lock that holds across processes.

use chrono::Utc;
use opsconsole::action::pending::PENDING_FILE;
use opsconsole::action::{IpSetRef, Mutation, PendingStore, Whose};
use opsconsole::model::WafScope;
use std::process::{Command, Stdio};

/// Entries each writer process adds.
const EACH: u32 = 60;
/// Set in a child process: the directory it writes to and its name.
const WRITER_DIR: &str = "OPSCONSOLE_TEST_WRITER_DIR";
const WRITER_NAME: &str = "OPSCONSOLE_TEST_WRITER_NAME";

fn block(writer: u32, n: u32) -> Mutation {
    Mutation::Block {
        set: IpSetRef {
            account: None,
            region: "ap-northeast-1".into(),
            scope: WafScope::Regional,
            name: "blocked".into(),
            id: "id".into(),
            arn: "arn:aws:wafv2:ap-northeast-1:123456789012:regional/ipset/blocked/id".into(),
            web_acl: "acl".into(),
        },
        address: format!("198.51.{writer}.{n}/32"),
        until: Some(Utc::now() + chrono::Duration::minutes(15)),
    }
}

/// The child's part: records `EACH` timed blocks, one at a time, as a console does after
/// each change. Runs only when started by the test below.
#[test]
#[ignore = "started by two_processes_changing_the_pending_undos_at_once_lose_nothing"]
fn writer() {
    let (Ok(dir), Ok(name)) = (std::env::var(WRITER_DIR), std::env::var(WRITER_NAME)) else {
        return;
    };
    let writer: u32 = name.parse().expect("writer number");
    let store = PendingStore::new(&std::path::Path::new(&dir).join(PENDING_FILE));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    for n in 0..EACH {
        runtime
            .block_on(store.record(&block(writer, n), &Whose::default()))
            .expect("record");
    }
}

#[test]
fn two_processes_changing_the_pending_undos_at_once_lose_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let me = std::env::current_exe().expect("test binary");
    let children: Vec<_> = [1, 2]
        .into_iter()
        .map(|writer| {
            Command::new(&me)
                .args([
                    "--exact",
                    "state_files::writer",
                    "--ignored",
                    "--test-threads=1",
                ])
                .env(WRITER_DIR, dir.path())
                .env(WRITER_NAME, writer.to_string())
                // The child's own test report would read as this run's.
                .stdout(Stdio::null())
                .spawn()
                .expect("writer process")
        })
        .collect();
    for mut child in children {
        assert!(child.wait().expect("writer").success());
    }
    let store = PendingStore::new(&dir.path().join(PENDING_FILE));
    let kept = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
        .block_on(store.load())
        .expect("pending");
    assert_eq!(
        kept.len(),
        2 * EACH as usize,
        "updates were lost between the two processes"
    );
}
