//! The HTTP plumbing the test proxies share: one request read off a client connection, passed
//! to the emulator on a fresh connection, and replies written in AWS's own shapes.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Serves 127.0.0.1:<free port> on a thread, each connection on its own thread through
/// `serve(client, upstream, state)`; returns the port.
pub fn listen<S: Send + 'static>(
    upstream: &str,
    state: Arc<Mutex<S>>,
    serve: fn(TcpStream, &str, &Mutex<S>),
) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a test proxy on 127.0.0.1");
    let port = listener.local_addr().expect("test proxy address").port();
    let upstream = upstream.to_string();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let (state, upstream) = (state.clone(), upstream.clone());
            std::thread::spawn(move || serve(client, &upstream, &state));
        }
    });
    port
}

pub struct Request {
    pub head: String,
    pub body: Vec<u8>,
    pub operation: String,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    pub fn is_json(&self) -> bool {
        self.header("x-amz-target").is_some()
    }

    pub fn is_ec2(&self) -> bool {
        String::from_utf8_lossy(&self.body).contains("Version=2016-11-15")
    }
}

/// The one request a client connection carries, with the connection to answer on.
pub fn accept(client: TcpStream) -> Option<(TcpStream, Request)> {
    let _ = client.set_read_timeout(Some(Duration::from_secs(30)));
    let mut reader = BufReader::new(client.try_clone().ok()?);
    let request = read_request(&mut reader)?;
    Some((client, request))
}

pub fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let end = line == "\r\n";
        head.push_str(&line);
        if end {
            break;
        }
    }
    let length = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let operation = operation_of(&head, &body);
    Some(Request {
        head,
        body,
        operation,
    })
}

/// `Action=…` (query), `X-Amz-Target: …` (JSON), or the REST path (Route53).
fn operation_of(head: &str, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    if let Some(action) = text.split('&').find_map(|p| p.strip_prefix("Action=")) {
        return action.to_string();
    }
    for line in head.lines() {
        if let Some((k, v)) = line.split_once(':')
            && k.trim().eq_ignore_ascii_case("x-amz-target")
        {
            let v = v.trim();
            return v.rsplit('.').next().unwrap_or(v).to_string();
        }
    }
    head.lines().next().unwrap_or_default().to_string()
}

/// Sends the request to the emulator on a fresh connection, asking it to close after the
/// reply, and returns the reply as it came.
pub fn forward(upstream: &str, request: &Request) -> Option<Vec<u8>> {
    let mut server = TcpStream::connect(upstream).ok()?;
    let _ = server.set_read_timeout(Some(Duration::from_secs(60)));
    let mut head: String = request
        .head
        .lines()
        .filter(|l| {
            !l.is_empty()
                && !l
                    .split_once(':')
                    .is_some_and(|(k, _)| k.trim().eq_ignore_ascii_case("connection"))
        })
        .map(|l| format!("{l}\r\n"))
        .collect();
    head.push_str("Connection: close\r\n\r\n");
    server.write_all(head.as_bytes()).ok()?;
    server.write_all(&request.body).ok()?;
    let mut reply = Vec::new();
    server.read_to_end(&mut reply).ok()?;
    Some(with_connection_close(reply))
}

/// The emulator's reply, made to say `Connection: close` (one call per connection).
fn with_connection_close(reply: Vec<u8>) -> Vec<u8> {
    let Some(end) = reply.windows(4).position(|w| w == b"\r\n\r\n") else {
        return reply;
    };
    let head = String::from_utf8_lossy(&reply[..end]);
    let mut out: String = head
        .lines()
        .filter(|l| {
            !l.split_once(':')
                .is_some_and(|(k, _)| k.trim().eq_ignore_ascii_case("connection"))
        })
        .map(|l| format!("{l}\r\n"))
        .collect();
    out.push_str("Connection: close\r\n\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&reply[end + 4..]);
    bytes
}

pub fn reply(status: &str, content_type: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nx-amzn-RequestId: fault-proxy\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}
