//! The log-line highlighter (`view::logs::line_role`) on arbitrary lines, and on nginx
//! access-log lines assembled from fuzzer parts, whose status class it must recognise.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use opsconsole::sanitize::sanitize;
use opsconsole::view::Role;
use opsconsole::view::logs::line_role;

/// `<client> - - [<time>] "<request>" <status> <bytes> <rest>`, the nginx "combined" format.
#[derive(Debug, Arbitrary)]
struct Input {
    raw: String,
    client: String,
    time: String,
    request: String,
    status: u16,
    /// `None` is nginx's `-` for no body.
    bytes: Option<u32>,
    rest: String,
}

fuzz_target!(|input: Input| {
    // Lines reach the highlighter sanitised; raw ones must not panic either.
    let _ = line_role(&input.raw);
    let _ = line_role(&sanitize(&input.raw));

    let Input {
        client,
        time,
        request,
        status,
        bytes,
        rest,
        ..
    } = input;
    let status = 100 + status % 500;
    // A quote before the request would start a different "quoted" field than the request's.
    if client.contains('"') || time.contains('"') || request.contains('"') {
        return;
    }
    let bytes = bytes.map_or("-".to_string(), |b| b.to_string());
    let line = format!("{client} - - [{time}] \"{request}\" {status} {bytes} {rest}");
    let want = match status / 100 {
        5 => Role::Problem,
        4 => Role::Warning,
        3 => Role::Muted,
        _ => Role::Normal,
    };
    assert_eq!(line_role(&line), want, "{line:?}");
    assert_eq!(line_role(&sanitize(&line)), want, "sanitised {line:?}");
});
