//! The exact action a plain rule had before the console set it to Count (a Block's custom
//! response, inserted headers and all), kept in the state directory so that "back" puts it
//! back byte for byte even when a later console does it (a timed Count's restore after a
//! restart).

use crate::model::RuleAction;
use aws_sdk_wafv2 as waf;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

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
        }
        .build())
    }
}

/// Originals by (web ACL id, rule), in memory and, when given a file, on disk.
pub struct Originals {
    file: Option<PathBuf>,
    map: Mutex<HashMap<String, Saved>>,
}

fn key(k: &(String, String)) -> String {
    format!("{}/{}", k.0, k.1)
}

impl Originals {
    /// Kept in memory only.
    pub fn in_memory() -> Originals {
        Originals {
            file: None,
            map: Mutex::new(HashMap::new()),
        }
    }

    /// Kept in `file` too; what it holds is read now. An unreadable file is logged and
    /// treated as empty: "back" then restores the plain action, as before this file existed.
    pub fn in_file(file: &Path) -> Originals {
        let map = match std::fs::read_to_string(file) {
            Ok(text) => serde_json::from_str(&text).unwrap_or_else(|e| {
                tracing::warn!(file = %file.display(), error = %e, "rule actions file does not parse");
                HashMap::new()
            }),
            Err(_) => HashMap::new(),
        };
        Originals {
            file: Some(file.to_path_buf()),
            map: Mutex::new(map),
        }
    }

    pub fn get(&self, k: &(String, String)) -> Option<waf::types::RuleAction> {
        let map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&key(k)).and_then(|s| s.to_sdk().ok())
    }

    pub fn set(&self, k: &(String, String), action: &waf::types::RuleAction) {
        self.change(|m| {
            m.insert(key(k), Saved::of(action));
        });
    }

    pub fn remove(&self, k: &(String, String)) {
        self.change(|m| {
            m.remove(&key(k));
        });
    }

    fn change(&self, f: impl FnOnce(&mut HashMap<String, Saved>)) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut map);
        let Some(file) = &self.file else { return };
        let write = || -> std::io::Result<()> {
            if let Some(dir) = file.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let tmp = file.with_extension("json.tmp");
            std::fs::write(
                &tmp,
                serde_json::to_vec_pretty(&*map).map_err(std::io::Error::other)?,
            )?;
            std::fs::rename(&tmp, file)
        };
        if let Err(e) = write() {
            tracing::warn!(file = %file.display(), error = %e, "rule actions not kept on disk");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_custom_block_survives_the_file() {
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
        Originals::in_file(&file).set(&k, &action);
        // A later console reads it back exactly.
        assert_eq!(Originals::in_file(&file).get(&k), Some(action));
        Originals::in_file(&file).remove(&k);
        assert_eq!(Originals::in_file(&file).get(&k), None);
    }
}
