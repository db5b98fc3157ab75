//! The exact action a plain rule had before the console set it to Count (a Block's custom
//! response, inserted headers and all), kept in the state directory so that "back" puts it
//! back byte for byte even when a later console does it (a timed Count's restore after a
//! restart).

use super::shared_state::{self, PutError, SharedStore};
use crate::model::RuleAction;
use crate::source::{Identity, Source};
use aws_sdk_wafv2 as waf;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// File name in the state directory.
pub const ORIGINALS_FILE: &str = "rule-actions.json";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Header {
    name: String,
    value: String,
}

/// A rule action as the SDK holds it, in a form that can be written down.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Saved {
    action: RuleAction,
    /// Block's custom response.
    #[serde(default)]
    response_code: Option<i32>,
    #[serde(default)]
    response_body_key: Option<String>,
    #[serde(default)]
    response_headers: Vec<Header>,
    /// The other actions' custom request handling.
    #[serde(default)]
    insert_headers: Option<Vec<Header>>,
    /// Monetize's multiplier of the ACL's base price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    price_multiplier: Option<String>,
}

fn headers(h: &[waf::types::CustomHttpHeader]) -> Vec<Header> {
    h.iter()
        .map(|h| Header {
            name: h.name().to_string(),
            value: h.value().to_string(),
        })
        .collect()
}

fn sdk_headers(h: &[Header]) -> Result<Vec<waf::types::CustomHttpHeader>, String> {
    h.iter()
        .map(|h| {
            waf::types::CustomHttpHeader::builder()
                .name(&h.name)
                .value(&h.value)
                .build()
                .map_err(|e| e.to_string())
        })
        .collect()
}

impl Saved {
    fn of(a: &waf::types::RuleAction) -> Saved {
        let handling = a
            .allow()
            .and_then(|x| x.custom_request_handling())
            .or_else(|| a.count().and_then(|x| x.custom_request_handling()))
            .or_else(|| a.captcha().and_then(|x| x.custom_request_handling()))
            .or_else(|| a.challenge().and_then(|x| x.custom_request_handling()));
        let response = a.block().and_then(|b| b.custom_response());
        Saved {
            action: super::waf::action(a),
            response_code: response.map(|r| r.response_code()),
            response_body_key: response
                .and_then(|r| r.custom_response_body_key().map(str::to_string)),
            response_headers: response
                .map(|r| headers(r.response_headers()))
                .unwrap_or_default(),
            insert_headers: handling.map(|h| headers(h.insert_headers())),
            price_multiplier: a
                .monetize()
                .and_then(|m| m.price_multiplier().map(str::to_string)),
        }
    }

    fn to_sdk(&self) -> Result<waf::types::RuleAction, String> {
        let handling = match &self.insert_headers {
            Some(h) => Some(
                waf::types::CustomRequestHandling::builder()
                    .set_insert_headers(Some(sdk_headers(h)?))
                    .build()
                    .map_err(|e| e.to_string())?,
            ),
            None => None,
        };
        let b = waf::types::RuleAction::builder();
        Ok(match self.action {
            RuleAction::Block => {
                let response = match self.response_code {
                    Some(code) => Some(
                        waf::types::CustomResponse::builder()
                            .response_code(code)
                            .set_custom_response_body_key(self.response_body_key.clone())
                            .set_response_headers(
                                (!self.response_headers.is_empty())
                                    .then(|| sdk_headers(&self.response_headers))
                                    .transpose()?,
                            )
                            .build()
                            .map_err(|e| e.to_string())?,
                    ),
                    None => None,
                };
                b.block(
                    waf::types::BlockAction::builder()
                        .set_custom_response(response)
                        .build(),
                )
            }
            RuleAction::Allow => b.allow(
                waf::types::AllowAction::builder()
                    .set_custom_request_handling(handling)
                    .build(),
            ),
            RuleAction::Count => b.count(
                waf::types::CountAction::builder()
                    .set_custom_request_handling(handling)
                    .build(),
            ),
            RuleAction::Captcha => b.captcha(
                waf::types::CaptchaAction::builder()
                    .set_custom_request_handling(handling)
                    .build(),
            ),
            RuleAction::Challenge => b.challenge(
                waf::types::ChallengeAction::builder()
                    .set_custom_request_handling(handling)
                    .build(),
            ),
            RuleAction::Monetize => b.monetize(
                waf::types::MonetizeAction::builder()
                    .set_price_multiplier(self.price_multiplier.clone())
                    .build(),
            ),
        }
        .build())
    }
}

/// Where the originals are kept.
enum Place {
    Memory(Mutex<HashMap<String, Saved>>),
    /// The state directory: read again, under a lock that holds across consoles, before every
    /// use and change.
    File(PathBuf),
    /// A team's store, under the account the console acts in: changed by conditional writes,
    /// so a teammate's console restores a rule exactly as this one found it.
    Shared {
        store: Arc<SharedStore>,
        identity: Arc<dyn Source<Identity>>,
        /// The account, asked of STS once rather than at every toggle.
        account: tokio::sync::OnceCell<String>,
    },
}

/// Originals by (web ACL id, rule). Kept on disk or in a shared store, the file is the truth:
/// a console never restores from (or writes back) an old copy. One that does not parse is an
/// error, never an empty map that would be written over it.
pub struct Originals {
    place: Place,
}

fn key(k: &(String, String)) -> String {
    format!("{}/{}", k.0, k.1)
}

fn parse(text: &str, from: &str) -> Result<HashMap<String, Saved>, String> {
    let doc: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("{from} does not parse: {e}"))?;
    // The shared store's documents carry their format; the state directory's file is the map.
    let map = match doc.get("format").and_then(serde_json::Value::as_u64) {
        Some(f) if f > u64::from(shared_state::FORMAT) => {
            return Err(format!(
                "{from} was written by a newer opsconsole (format {f}; this one reads {})",
                shared_state::FORMAT
            ));
        }
        Some(_) => doc.get("rules").cloned().unwrap_or_default(),
        None => doc,
    };
    serde_json::from_value(map).map_err(|e| format!("{from} does not parse: {e}"))
}

/// A shared document that keeps changing under us is given up after this many tries.
const SHARED_TRIES: usize = 8;

impl Originals {
    /// Kept in memory only.
    pub fn in_memory() -> Originals {
        Originals {
            place: Place::Memory(Mutex::new(HashMap::new())),
        }
    }

    /// Kept in `file` (in the state directory), read at each use.
    pub fn in_file(file: &Path) -> Originals {
        Originals {
            place: Place::File(file.to_path_buf()),
        }
    }

    /// Kept in a team's store, under the account `identity` acts in.
    pub fn shared(store: Arc<SharedStore>, identity: Arc<dyn Source<Identity>>) -> Originals {
        Originals {
            place: Place::Shared {
                store,
                identity,
                account: tokio::sync::OnceCell::new(),
            },
        }
    }

    fn load(file: &Path) -> Result<HashMap<String, Saved>, String> {
        match crate::state_dir::read(file) {
            Ok(None) => Ok(HashMap::new()),
            Ok(Some(text)) => parse(&text, &file.display().to_string()),
            Err(e) => Err(e.to_string()),
        }
    }

    async fn account(
        identity: &dyn Source<Identity>,
        known: &tokio::sync::OnceCell<String>,
    ) -> Result<String, String> {
        known
            .get_or_try_init(|| async {
                identity
                    .fetch()
                    .await
                    .ok()
                    .and_then(|id| id.account)
                    .ok_or_else(|| "the account this console acts in is not known yet".to_string())
            })
            .await
            .cloned()
    }

    /// The action the rule had before the console set it to Count, if it was kept.
    pub async fn get(
        &self,
        k: &(String, String),
    ) -> Result<Option<waf::types::RuleAction>, String> {
        let saved = match &self.place {
            Place::Memory(map) => {
                let map = map.lock().unwrap_or_else(|e| e.into_inner());
                map.get(&key(k)).cloned()
            }
            Place::File(file) => {
                let _held = crate::state_dir::lock(file).map_err(|e| e.to_string())?;
                Self::load(file)?.remove(&key(k))
            }
            Place::Shared {
                store,
                identity,
                account,
            } => {
                let account = Self::account(identity.as_ref(), account).await?;
                match store
                    .get(&account, ORIGINALS_FILE)
                    .await
                    .map_err(|e| e.to_string())?
                {
                    None => None,
                    Some((text, _)) => {
                        parse(&text, &store.describe(&account, ORIGINALS_FILE))?.remove(&key(k))
                    }
                }
            }
        };
        saved.map(|s| s.to_sdk()).transpose()
    }

    pub async fn set(
        &self,
        k: &(String, String),
        action: &waf::types::RuleAction,
    ) -> Result<(), String> {
        let saved = Saved::of(action);
        self.change(|m| {
            m.insert(key(k), saved.clone());
        })
        .await
    }

    pub async fn remove(&self, k: &(String, String)) -> Result<(), String> {
        self.change(|m| {
            m.remove(&key(k));
        })
        .await
    }

    /// Loads, changes and saves: inside the lock (a file), or as a compare-and-swap tried
    /// again when another console wrote first (the shared store).
    async fn change(&self, f: impl Fn(&mut HashMap<String, Saved>)) -> Result<(), String> {
        match &self.place {
            Place::Memory(map) => {
                f(&mut map.lock().unwrap_or_else(|e| e.into_inner()));
                Ok(())
            }
            Place::File(file) => {
                let _held = crate::state_dir::lock(file).map_err(|e| e.to_string())?;
                let mut map = Self::load(file)?;
                f(&mut map);
                let bytes = serde_json::to_vec_pretty(&map).map_err(|e| e.to_string())?;
                crate::state_dir::write(file, &bytes)
                    .map_err(|e| format!("{} could not be written: {e}", file.display()))
            }
            Place::Shared {
                store,
                identity,
                account,
            } => {
                let account = Self::account(identity.as_ref(), account).await?;
                let from = store.describe(&account, ORIGINALS_FILE);
                for _ in 0..SHARED_TRIES {
                    let read = store
                        .get(&account, ORIGINALS_FILE)
                        .await
                        .map_err(|e| e.to_string())?;
                    let (mut map, etag) = match read {
                        None => (HashMap::new(), None),
                        Some((text, etag)) => (parse(&text, &from)?, Some(etag)),
                    };
                    f(&mut map);
                    let doc = serde_json::json!({"format": shared_state::FORMAT, "rules": map});
                    let text = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?;
                    match store
                        .put(&account, ORIGINALS_FILE, &text, etag.as_deref())
                        .await
                    {
                        Ok(()) => return Ok(()),
                        Err(PutError::Conflict) => continue,
                        Err(PutError::Failed(e)) => return Err(e.to_string()),
                    }
                }
                Err(format!("{from} kept changing under us: try again"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_custom_block_survives_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(ORIGINALS_FILE);
        let header = waf::types::CustomHttpHeader::builder()
            .name("x-blocked-by")
            .value("opsconsole")
            .build()
            .unwrap();
        let action = waf::types::RuleAction::builder()
            .block(
                waf::types::BlockAction::builder()
                    .custom_response(
                        waf::types::CustomResponse::builder()
                            .response_code(429)
                            .custom_response_body_key("slow-down")
                            .response_headers(header)
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .build();
        let k = ("acl-id".to_string(), "block-xmlrpc".to_string());
        Originals::in_file(&file).set(&k, &action).await.unwrap();
        // A later console reads it back exactly.
        assert_eq!(Originals::in_file(&file).get(&k).await, Ok(Some(action)));
        Originals::in_file(&file).remove(&k).await.unwrap();
        assert_eq!(Originals::in_file(&file).get(&k).await, Ok(None));
    }

    /// A Monetize rule comes back with its price multiplier, not as a plain Count or a default.
    #[tokio::test]
    async fn a_monetize_action_survives_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(ORIGINALS_FILE);
        let action = waf::types::RuleAction::builder()
            .monetize(
                waf::types::MonetizeAction::builder()
                    .price_multiplier("7")
                    .build(),
            )
            .build();
        assert_eq!(super::super::waf::action(&action), RuleAction::Monetize);
        let k = ("acl-id".to_string(), "paywall".to_string());
        Originals::in_file(&file).set(&k, &action).await.unwrap();
        assert_eq!(Originals::in_file(&file).get(&k).await, Ok(Some(action)));
    }

    #[tokio::test]
    async fn a_corrupt_file_is_an_error_and_is_not_written_over() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(ORIGINALS_FILE);
        crate::state_dir::write(&file, b"{\"acl/rule\": ").unwrap();
        let originals = Originals::in_file(&file);
        let k = ("acl".to_string(), "rule".to_string());
        assert!(originals.get(&k).await.is_err());
        let count = waf::types::RuleAction::builder()
            .count(waf::types::CountAction::builder().build())
            .build();
        assert!(originals.set(&k, &count).await.is_err());
        assert_eq!(std::fs::read(&file).unwrap(), b"{\"acl/rule\": ");
    }

    #[tokio::test]
    async fn another_consoles_change_is_seen_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(ORIGINALS_FILE);
        let mine = Originals::in_file(&file);
        let theirs = Originals::in_file(&file);
        let k = ("acl".to_string(), "rule".to_string());
        let block = waf::types::RuleAction::builder()
            .block(waf::types::BlockAction::builder().build())
            .build();
        assert_eq!(mine.get(&k).await, Ok(None));
        theirs.set(&k, &block).await.unwrap();
        assert_eq!(mine.get(&k).await, Ok(Some(block)));
    }
}
