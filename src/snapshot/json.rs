//! JSON output: the report with every string made terminal-safe, and its JSON Schema.

use super::Report;
use crate::sanitize::sanitize;
use serde_json::Value;

pub fn render(report: &Report) -> String {
    let value = serde_json::to_value(report)
        .map(rows_under_accounts)
        .map(clean_strings);
    match value.and_then(|v| serde_json::to_string_pretty(&v)) {
        Ok(s) => s + "\n",
        // Serialising plain data to a Value cannot fail; say so rather than panic if it ever does.
        Err(e) => format!("{{\"error\": \"could not serialise the snapshot: {e}\"}}\n"),
    }
}

/// With several accounts every row is under its account (`accounts[]`): the top-level
/// sections keep their age and error, not a second copy of the rows.
fn rows_under_accounts(mut v: Value) -> Value {
    if v.get("accounts")
        .is_some_and(|a| a.as_array().is_some_and(|a| !a.is_empty()))
    {
        for panel in ["targets", "waf", "dns", "instances"] {
            if let Some(data) = v.get_mut(panel).and_then(|s| s.get_mut("data")) {
                *data = Value::Null;
            }
        }
    }
    v
}

/// Remote text may carry escape sequences; serde_json escapes C0 controls but passes C1 and
/// bidi characters through, so clean every string before printing.
fn clean_strings(v: Value) -> Value {
    match v {
        Value::String(s) => Value::String(sanitize(&s).into_owned()),
        Value::Array(a) => Value::Array(a.into_iter().map(clean_strings).collect()),
        Value::Object(o) => Value::Object(
            o.into_iter()
                .map(|(k, v)| (sanitize(&k).into_owned(), clean_strings(v)))
                .collect(),
        ),
        other => other,
    }
}

/// The JSON Schema of `--snapshot --format json`, generated from the same types.
pub fn schema() -> String {
    let schema = schemars::schema_for!(Report);
    serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
}
