//! The committed JSON Schema of `--snapshot --format json` is the one the code generates.
//! After changing the report types, refresh it with `UPDATE_SCHEMA=1 cargo test --test e2e schema::`.

use std::path::Path;

#[test]
fn committed_schema_matches_the_code() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/snapshot.schema.json");
    let generated = opsconsole::snapshot::schema();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &generated).expect("write schema");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/snapshot.schema.json is out of date: run UPDATE_SCHEMA=1 cargo test --test e2e schema::"
    );
}
