//! Asking the operator for a key's passphrase from a tail's thread: the thread blocks while the
//! console shows a dialog, and carries on with the answer (or without one).

use super::auth::PassphraseProvider;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, mpsc as blocking};
use std::time::Duration;
use tokio::sync::mpsc;

/// How long a tail waits for the operator before it gives up on the key (and says so).
const ANSWER_WITHIN: Duration = Duration::from_secs(300);

/// A question for the operator: the passphrase of `key_file`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassphraseRequest {
    pub id: u64,
    pub key_file: PathBuf,
}

/// Connects tails that need a passphrase with whoever can ask the operator (the console). With
/// nobody connected, or no answer in time, the key is skipped as if it had no passphrase.
#[derive(Default)]
pub struct PassphrasePrompt {
    asker: Mutex<Option<mpsc::UnboundedSender<PassphraseRequest>>>,
    waiting: Mutex<HashMap<u64, blocking::SyncSender<Option<String>>>>,
    next_id: AtomicU64,
}

impl PassphrasePrompt {
    /// Questions arrive on the returned receiver from now on (a new call replaces the old one).
    pub fn connect(&self) -> mpsc::UnboundedReceiver<PassphraseRequest> {
        let (tx, rx) = mpsc::unbounded_channel();
        if let Ok(mut asker) = self.asker.lock() {
            *asker = Some(tx);
        }
        rx
    }

    /// The operator's answer to question `id`; `None` declines. Unknown ids (a tail that gave up
    /// waiting) are ignored.
    pub fn answer(&self, id: u64, passphrase: Option<String>) {
        let waiting = self.waiting.lock().ok().and_then(|mut w| w.remove(&id));
        if let Some(reply) = waiting {
            let _ = reply.send(passphrase);
        }
    }
}

impl PassphraseProvider for PassphrasePrompt {
    fn passphrase(&self, key_file: &Path) -> Option<String> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (reply, answer) = blocking::sync_channel(1);
        self.waiting.lock().ok()?.insert(id, reply);
        let asked = self.asker.lock().ok()?.as_ref().is_some_and(|asker| {
            asker
                .send(PassphraseRequest {
                    id,
                    key_file: key_file.to_path_buf(),
                })
                .is_ok()
        });
        let passphrase = if asked {
            answer.recv_timeout(ANSWER_WITHIN).ok().flatten()
        } else {
            None
        };
        if let Ok(mut w) = self.waiting.lock() {
            w.remove(&id);
        }
        passphrase
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn a_tail_thread_waits_for_the_operators_answer() {
        let prompt = Arc::new(PassphrasePrompt::default());
        let mut questions = prompt.connect();
        let asking = {
            let prompt = prompt.clone();
            std::thread::spawn(move || prompt.passphrase(Path::new("/keys/id_ed25519")))
        };
        let q = questions.blocking_recv().expect("a question");
        assert_eq!(q.key_file, PathBuf::from("/keys/id_ed25519"));
        prompt.answer(q.id + 100, Some("not for you".into()));
        prompt.answer(q.id, Some("s3cret".into()));
        assert_eq!(asking.join().ok().flatten().as_deref(), Some("s3cret"));
        assert!(prompt.waiting.lock().map(|w| w.is_empty()).unwrap_or(false));
    }

    #[test]
    fn nobody_to_ask_means_no_passphrase_at_once() {
        let prompt = PassphrasePrompt::default();
        assert_eq!(prompt.passphrase(Path::new("k")), None);
        let questions = prompt.connect();
        drop(questions);
        assert_eq!(prompt.passphrase(Path::new("k")), None);
    }
}
