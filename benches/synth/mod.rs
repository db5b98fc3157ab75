//! Synthetic nginx access-log lines for the benchmarks, in S5's `log_format main` (the format of
//! `src/source/demo/logs.rs`):
//!
//! `-:- $remote_addr:$remote_port - [$time_local] "$request" $status $body_bytes_sent
//! "$http_referer" "$http_user_agent" $server_port`
//!
//! About 1% of the lines carry a raw escape sequence (OSC title, SGR colour, CSI clear, bidi
//! override) in the user agent or the URI, so the sanitiser has real work on those. A small
//! xorshift generator keeps the lines deterministic without a dependency.

/// Deterministic xorshift64* generator.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const BROWSERS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
];

/// (share per mille, request line, status, bytes, user agent or "" for a browser).
#[rustfmt::skip]
const REQUESTS: &[(u64, &str, u16, u32, &str)] = &[
    (300, "GET / HTTP/1.1", 200, 2676, ""),
    (150, "GET /static/js/main.4f1c2a9e.js HTTP/1.1", 200, 184_233, ""),
    (100, "GET /static/css/main.9b2d41c0.css HTTP/1.1", 304, 0, ""),
    (150, "GET /api/v1/rates?pair=usdt_jpy HTTP/1.1", 200, 512, ""),
    (60, "POST /api/v1/orders HTTP/1.1", 201, 128, ""),
    (40, "GET /favicon.ico HTTP/1.1", 200, 1150, ""),
    (20, "GET /markets HTTP/1.1", 200, 2676, ""),
    (20, "GET /api/v1/health HTTP/1.1", 200, 15, "okhttp/4.12.0"),
    (40, "GET /v4/ws/usdt HTTP/1.1", 200, 2676, "Go-http-client/1.1"),
    (20, "GET /.env HTTP/1.1", 200, 2676, "Mozilla/5.0 (l9scan/2.0.; +https://leakix.net)"),
    (20, "POST /xmlrpc.php HTTP/1.1", 404, 153, "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:109.0) Gecko/20100101 Firefox/115.0"),
    (20, "GET /wp-login.php HTTP/1.1", 404, 153, "Mozilla/5.0 zgrab/0.x"),
    (15, "GET /.git/config HTTP/1.1", 404, 153, "Mozilla/5.0 (compatible; Odin; https://docs.getodin.com/)"),
    (10, "GET /cgi-bin/luci/;stok=/locale?form=country HTTP/1.1", 404, 153, "Go-http-client/1.1"),
    (10, "\\x16\\x03\\x01\\x00\\xca\\x01\\x00\\x00\\xc6\\x03\\x03", 400, 157, "-"),
    (15, "GET /api/v1/rates?pair=btc_jpy HTTP/1.1", 502, 157, ""),
    (10, "GET /api/v1/orders/history HTTP/1.1", 499, 0, ""),
];

/// Raw escape sequences as an attacker would put them in a user agent or a URI.
const HOSTILE: &[&str] = &[
    "\x1b]0;pwned\x07Mozilla/5.0 (compatible; evil/1.0)",
    "\x1b[31mred\x1b[0m curl/8.0",
    "\x1b[2J\x1b[H sqlmap/1.7",
    "\x1b]52;c;ZXZpbA==\x07 python-requests/2.31",
    "Mozilla/5.0 user\u{202e}gpj.exe",
];

/// Raw line number `n` (of a stream starting at second 0); about 1 in 100 is hostile.
pub fn nginx_line(rng: &mut Rng, n: u64) -> String {
    let secs = 18 * 3600 + n / 40;
    let time_local = format!(
        "21/Nov/2026:{:02}:{:02}:{:02} +0000",
        (secs / 3600) % 24,
        (secs / 60) % 60,
        secs % 60
    );
    let net = rng.pick(&["192.0.2", "198.51.100", "203.0.113"]);
    let ip = format!("{net}.{}", 1 + rng.below(254));
    let port = 1024 + rng.below(64_000);
    let total: u64 = REQUESTS.iter().map(|r| r.0).sum();
    let mut roll = rng.below(total);
    let mut chosen = REQUESTS[0];
    for r in REQUESTS {
        if roll < r.0 {
            chosen = *r;
            break;
        }
        roll -= r.0;
    }
    let (_, request, status, bytes, tool) = chosen;
    let browser = rng.pick(BROWSERS);
    let referer = rng.pick(&["-", "https://example.com/", "https://example.com/markets"]);
    let (referer, agent) = if rng.below(100) == 0 {
        ("-", rng.pick(HOSTILE))
    } else if tool.is_empty() {
        (referer, browser)
    } else {
        ("-", tool)
    };
    format!(
        "-:- {ip}:{port} - [{time_local}] \"{request}\" {status} {bytes} \"{referer}\" \"{agent}\" 80"
    )
}

/// `count` raw lines, deterministic for a seed.
pub fn nginx_lines(seed: u64, count: usize) -> Vec<String> {
    let mut rng = Rng::new(seed);
    (0..count as u64).map(|n| nginx_line(&mut rng, n)).collect()
}
