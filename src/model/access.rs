//! Who made a request, read from an access-log line: the client address (never a load
//! balancer's), the path and the status. Common formats are built in; others are a regex with
//! named groups.

use regex::Regex;
use std::net::IpAddr;

/// How a source's lines are laid out.
#[derive(Debug, Clone)]
pub enum LogFormat {
    /// Each line is tried as `proxy-protocol`, then `alb`, then `combined`.
    Auto,
    /// Apache/nginx common and combined: `$remote_addr - $remote_user [time] "request" status …`.
    Combined,
    /// nginx behind a proxy-protocol load balancer (seed S5):
    /// `$proxy_protocol_addr:$proxy_protocol_port $remote_addr:$remote_port …`; the client is the
    /// proxy-protocol address when set, else `$remote_addr`.
    ProxyProtocol,
    /// An ALB access log: `type time elb client:port target:port …`.
    Alb,
    /// A regex with a `client` group, and optionally `path` and `status`, matched against the
    /// whole line (anchored at both ends).
    Custom(Regex),
}

/// The builtin format names, as written in the config file.
pub const BUILTIN_FORMATS: &[&str] = &["auto", "combined", "proxy-protocol", "alb"];

impl LogFormat {
    /// A builtin name, or a regex with a `(?P<client>…)` group.
    pub fn parse(text: &str) -> Result<LogFormat, String> {
        match text {
            "auto" => Ok(LogFormat::Auto),
            "combined" => Ok(LogFormat::Combined),
            "proxy-protocol" => Ok(LogFormat::ProxyProtocol),
            "alb" => Ok(LogFormat::Alb),
            custom => {
                let re = whole_line(custom).map_err(|e| {
                    format!(
                        "neither a builtin format ({}) nor a regex: {e}",
                        BUILTIN_FORMATS.join(", ")
                    )
                })?;
                if !re.capture_names().any(|n| n == Some("client")) {
                    return Err(format!(
                        "a custom format needs a (?P<client>…) group; builtins: {}",
                        BUILTIN_FORMATS.join(", ")
                    ));
                }
                Ok(LogFormat::Custom(re))
            }
        }
    }
}

/// `pattern` matched against the whole line only: a search could otherwise find the client
/// group in a part of the line the request's sender wrote (a URI, a user agent).
fn whole_line(pattern: &str) -> Result<Regex, regex::Error> {
    // The operator's own errors are reported against what they wrote.
    Regex::new(pattern)?;
    // A verbose pattern (`(?x)`) that ends in a `#` comment would swallow the closing anchor:
    // a newline ends the comment (and is ignored in verbose mode).
    Regex::new(&format!("^(?:{pattern})$")).or_else(|_| Regex::new(&format!("^(?:{pattern}\n)$")))
}

/// What one line says about its request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access<'a> {
    pub client: IpAddr,
    pub path: Option<&'a str>,
    pub status: Option<u16>,
}

impl Access<'_> {
    /// "2xx", "4xx" …, or "-" when the line has no status.
    pub fn status_class(&self) -> String {
        match self.status {
            Some(s) => format!("{}xx", s / 100),
            None => "-".to_string(),
        }
    }
}

/// The request a line describes, if the format finds a client address in it.
pub fn parse<'a>(format: &LogFormat, line: &'a str) -> Option<Access<'a>> {
    match format {
        LogFormat::Auto => proxy_protocol(line)
            .or_else(|| alb(line))
            .or_else(|| combined(line)),
        LogFormat::Combined => combined(line),
        LogFormat::ProxyProtocol => proxy_protocol(line),
        LogFormat::Alb => alb(line),
        LogFormat::Custom(re) => {
            let caps = re.captures(line)?;
            let client = address(caps.name("client")?.as_str())?;
            Some(Access {
                client,
                path: caps.name("path").map(|m| m.as_str()),
                status: caps.name("status").and_then(|m| m.as_str().parse().ok()),
            })
        }
    }
}

/// The request a log entry describes: only a whole line says. A piece of a line cut for length
/// does not (a continuation starts with text the request's sender chose), nor does a gap.
pub fn parse_entry<'a>(format: &LogFormat, entry: &'a super::LogEntry) -> Option<Access<'a>> {
    parse(format, entry.whole_line()?)
}

/// An address, with IPv6 brackets accepted, canonically (a mapped IPv4 client is IPv4).
fn address(text: &str) -> Option<IpAddr> {
    super::address::parse(text)
}

/// `addr:port` (IPv6 too: the port follows the last colon) → the address.
fn host_of(field: &str) -> Option<IpAddr> {
    let (host, port) = field.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    address(host)
}

/// The quoted request's path and the status after it: `"GET /x HTTP/1.1" 404`.
fn request_and_status(rest: &str) -> (Option<&str>, Option<u16>) {
    let Some(start) = rest.find('"') else {
        return (None, None);
    };
    let after = &rest[start + 1..];
    let Some(end) = after.find('"') else {
        return (None, None);
    };
    let request = &after[..end];
    let path = request.split(' ').nth(1).filter(|p| p.starts_with('/'));
    let status = after[end + 1..]
        .split_whitespace()
        .next()
        .and_then(|s| s.parse().ok());
    (path, status)
}

fn combined(line: &str) -> Option<Access<'_>> {
    let (first, rest) = line.split_once(' ')?;
    let client = address(first)?;
    let (path, status) = request_and_status(rest);
    Some(Access {
        client,
        path,
        status,
    })
}

fn proxy_protocol(line: &str) -> Option<Access<'_>> {
    let mut fields = line.splitn(3, ' ');
    let (proxy, remote, rest) = (fields.next()?, fields.next()?, fields.next()?);
    // Both fields are `addr:port`; an unset proxy-protocol address is empty or `-`.
    let (proxy_addr, _) = proxy.rsplit_once(':')?;
    let remote = host_of(remote)?;
    let client = match proxy_addr {
        "" | "-" => remote,
        set => address(set)?,
    };
    let (path, status) = request_and_status(rest);
    Some(Access {
        client,
        path,
        status,
    })
}

/// `http 2026-11-26T10:00:00.000000Z app/web/abc 198.51.100.7:51234 10.0.1.5:80 … 200 200 …
/// "GET https://host:443/path HTTP/1.1" …`
fn alb(line: &str) -> Option<Access<'_>> {
    let mut fields = line.split(' ');
    let kind = fields.next()?;
    if !matches!(kind, "http" | "https" | "h2" | "grpcs" | "ws" | "wss") {
        return None;
    }
    let _time = fields.next()?;
    let _elb = fields.next()?;
    let client = host_of(fields.next()?)?;
    // target, three processing times, then the ELB's status code.
    let status = fields.nth(4).and_then(|s| s.parse().ok());
    let url = line
        .split_once('"')
        .and_then(|(_, r)| r.split_once('"'))
        .and_then(|(request, _)| request.split(' ').nth(1));
    let path = url.and_then(|u| {
        let after_scheme = u.split_once("://").map(|(_, r)| r).unwrap_or(u);
        after_scheme.find('/').map(|i| &after_scheme[i..])
    });
    Some(Access {
        client,
        path,
        status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const S5_UNSET: &str = "-:- 198.51.100.23:51234 - [26/Nov/2026:10:00:00 +0000] \"GET /v4/ws/usdt HTTP/1.1\" 200 2676 \"-\" \"Go-http-client/1.1\" 80";
    const S5_SET: &str = "203.0.113.9:40000 10.0.1.17:51234 - [26/Nov/2026:10:00:00 +0000] \"GET /.git/config HTTP/1.1\" 404 153 \"-\" \"zgrab\" 443";

    #[test]
    fn proxy_protocol_address_wins_over_the_load_balancer() {
        let set = parse(&LogFormat::ProxyProtocol, S5_SET).unwrap();
        assert_eq!(set.client.to_string(), "203.0.113.9");
        assert_eq!(set.path, Some("/.git/config"));
        assert_eq!(set.status, Some(404));
        let unset = parse(&LogFormat::Auto, S5_UNSET).unwrap();
        assert_eq!(unset.client.to_string(), "198.51.100.23");
        assert_eq!(unset.status_class(), "2xx");
        // nginx writes an unset $proxy_protocol_addr as empty: ":" then the port.
        let empty = S5_UNSET.replacen("-:-", ":", 1);
        assert_eq!(
            parse(&LogFormat::Auto, &empty).unwrap().client.to_string(),
            "198.51.100.23"
        );
        let v6 = "2001:db8::7:443 10.0.1.17:5 - [x] \"GET / HTTP/1.1\" 200 1";
        assert_eq!(
            parse(&LogFormat::Auto, v6).unwrap().client.to_string(),
            "2001:db8::7"
        );
    }

    #[test]
    fn combined_and_alb_lines() {
        let c = "192.0.2.10 - - [26/Nov/2026:10:00:00 +0000] \"POST /xmlrpc.php HTTP/1.1\" 404 153 \"-\" \"x\"";
        let a = parse(&LogFormat::Auto, c).unwrap();
        assert_eq!(
            (a.client.to_string(), a.path, a.status),
            ("192.0.2.10".into(), Some("/xmlrpc.php"), Some(404))
        );
        let alb_line = "https 2026-11-26T10:00:00.000000Z app/web/50dc6c495c0c9188 198.51.100.7:51234 10.0.1.5:80 0.000 0.001 0.000 503 503 34 366 \"GET https://www.example.com:443/wp-login.php HTTP/1.1\" \"curl\" - -";
        let b = parse(&LogFormat::Auto, alb_line).unwrap();
        assert_eq!(b.client.to_string(), "198.51.100.7");
        assert_eq!(b.path, Some("/wp-login.php"));
        assert_eq!(b.status, Some(503));
        // A line that names no client is not guessed at.
        assert_eq!(parse(&LogFormat::Auto, "kernel: eth0 link up"), None);
        assert_eq!(parse(&LogFormat::Combined, S5_SET), None);
    }

    #[test]
    fn custom_formats_need_a_client_group() {
        assert!(LogFormat::parse("(?P<path>/\\S+)").is_err());
        assert!(LogFormat::parse("(").is_err());
        let f =
            LogFormat::parse("ts=\\S+ client=(?P<client>\\S+) status=(?P<status>\\d+)").unwrap();
        let a = parse(&f, "ts=1 client=192.0.2.5 status=403").unwrap();
        assert_eq!(
            (a.client.to_string(), a.status),
            ("192.0.2.5".into(), Some(403))
        );
    }

    /// A custom format is matched against the whole line, from its first character: a client
    /// field that the request's sender wrote into the URI or the user agent is never the client.
    #[test]
    fn a_custom_format_describes_the_whole_line() {
        let f = LogFormat::parse("client=(?P<client>\\S+) status=(?P<status>\\d+)").unwrap();
        // Written by the sender: the query string ends with "client=… status=…".
        let forged = "client=198.51.100.7 uri=/?x=1&client=192.0.2.66 status=200";
        assert_eq!(parse(&f, forged), None);
        assert_eq!(parse(&f, "ts=1 client=192.0.2.5 status=403"), None);
        assert_eq!(parse(&f, "client=192.0.2.5 status=403 tail"), None);
        assert!(parse(&f, "client=192.0.2.5 status=403").is_some());
        // Anchors and flags the operator wrote still work, and so does a verbose pattern ending
        // in a comment.
        let anchored = LogFormat::parse("^(?P<client>\\S+) .*$").unwrap();
        let a = parse(&anchored, "192.0.2.8 GET /?client=192.0.2.66").unwrap();
        assert_eq!(a.client.to_string(), "192.0.2.8");
        let verbose =
            LogFormat::parse("(?x) (?P<client>\\S+) \\s .* # the client comes first").unwrap();
        let v = parse(&verbose, "192.0.2.9 anything").unwrap();
        assert_eq!(v.client.to_string(), "192.0.2.9");
        // Alternatives are anchored as one: neither may match inside the line.
        let either = LogFormat::parse("b=(?P<path>\\S+)|a=(?P<client>\\S+)").unwrap();
        assert_eq!(parse(&either, "x a=192.0.2.66"), None);
        assert!(parse(&either, "a=192.0.2.66").is_some());
    }

    /// Pieces of a line cut for length, and gaps, name no client, whatever their text says.
    #[test]
    fn only_whole_lines_name_a_client() {
        use crate::model::{LogEntry, Piece};
        let at = chrono::DateTime::from_timestamp(0, 0).unwrap_or_default();
        let text = "192.0.2.10 - - [x] \"GET / HTTP/1.1\" 200 1".to_string();
        let whole = LogEntry::Line {
            received_at: at,
            text: text.clone(),
        };
        assert!(parse_entry(&LogFormat::Auto, &whole).is_some());
        for piece in [Piece::Head, Piece::Continuation] {
            let cut = LogEntry::Piece {
                received_at: at,
                text: text.clone(),
                piece,
            };
            assert_eq!(parse_entry(&LogFormat::Auto, &cut), None, "{piece:?}");
        }
    }
}
