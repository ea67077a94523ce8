//! Test support (the `testing` feature; never in the `ward` binary): a moto server on
//! loopback, a recording AWS Config endpoint for `PutEvaluations` (moto implements it only in
//! test mode), and SDK clients with dummy credentials to plant resources.
//!
//! Everything here fails loudly: a test that cannot start moto fails with a message that
//! says why, it is never skipped.
#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::client::Clients;
use crate::retry::RetryPolicy;

/// The moto version the tests (and `.ci/run`) install.
pub const MOTO_VERSION: &str = "5.2.5";
/// Dummy credentials for moto and the recorder (they check no signature).
pub const ACCESS_KEY: &str = "testing";
pub const SECRET_KEY: &str = "testing";
pub const REGION: &str = "us-east-1";

/// Environment for a `ward` child process talking to moto: dummy credentials, no instance
/// metadata, no shared config files of the machine.
pub fn child_env() -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY.into()),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.into()),
        ("AWS_SESSION_TOKEN", "testing".into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
        (
            "AWS_CONFIG_FILE",
            "/nonexistent/ward-test-aws-config".into(),
        ),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/ward-test-aws-credentials".into(),
        ),
        ("AWS_REGION", REGION.into()),
    ]
}

/// A quick retry policy for tests.
pub fn quick_retry() -> RetryPolicy {
    RetryPolicy {
        sdk_attempts: 3,
        rounds: 4,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
    }
}

/// Clients with dummy credentials against `endpoint`.
pub async fn clients(endpoint: &str, retry: RetryPolicy) -> Clients {
    let creds =
        aws_sdk_config::config::Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "ward-tests");
    let loader = crate::client::loader(&retry)
        .credentials_provider(creds)
        .region(aws_config::Region::new(REGION))
        .endpoint_url(endpoint);
    Clients::from_sdk(&loader.load().await, retry).expect("a Region is set")
}

fn target_dir() -> PathBuf {
    // Integration tests get CARGO_TARGET_TMPDIR = <target>/tmp.
    std::env::var_os("CARGO_TARGET_TMPDIR")
        .map(PathBuf::from)
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .or_else(|| std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from))
        .unwrap_or_else(|| std::env::temp_dir().join("ward-test-target"))
}

/// Installs Debian packages with apt-get when this runs as root on a machine with apt (a
/// fresh CI machine); whether it did. Elsewhere it does nothing: the caller then fails and
/// says what to install.
pub fn apt_install(packages: &[&str]) -> bool {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let apt = Command::new("apt-get")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !(root && apt) {
        return false;
    }
    eprintln!("note: installing {} with apt-get", packages.join(", "));
    let script = format!(
        "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq {}",
        packages.join(" ")
    );
    match Command::new("sh").args(["-c", &script]).output() {
        Ok(out) if out.status.success() => true,
        Ok(out) => {
            eprintln!("apt-get failed: {}", String::from_utf8_lossy(&out.stderr));
            false
        }
        Err(e) => {
            eprintln!("cannot run apt-get: {e}");
            false
        }
    }
}

/// A Python virtual environment under the target directory with moto (and what else is
/// asked) installed, created once; concurrent tests wait on a file lock.
pub fn python_venv(packages: &[&str], check_import: &str) -> PathBuf {
    let dir = target_dir();
    std::fs::create_dir_all(&dir).expect("create the target directory");
    let venv = dir.join("moto-venv");
    let lock_path = dir.join("moto-venv.lock");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .unwrap_or_else(|e| panic!("cannot open `{}`: {e}", lock_path.display()));
    lock.lock()
        .unwrap_or_else(|e| panic!("cannot lock `{}`: {e}", lock_path.display()));
    let python = venv.join("bin").join("python");
    let importable = |python: &Path| {
        Command::new(python)
            .args(["-c", check_import])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !importable(&python) {
        if !python.exists() {
            let make = || {
                Command::new("python3")
                    .args(["-m", "venv"])
                    .arg(&venv)
                    .output()
                    .unwrap_or_else(|e| {
                        panic!("cannot run `python3 -m venv` (is Python 3 installed?): {e}")
                    })
            };
            let mut out = make();
            // Debian and Ubuntu ship `venv` apart from Python (`python3-venv`).
            if !out.status.success() && apt_install(&["python3-venv"]) {
                let _ = std::fs::remove_dir_all(&venv);
                out = make();
            }
            assert!(
                out.status.success(),
                "`python3 -m venv {}` failed: {}",
                venv.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let out = Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args(packages)
            .output()
            .unwrap_or_else(|e| panic!("cannot run pip in `{}`: {e}", venv.display()));
        assert!(
            out.status.success(),
            "installing {packages:?} from PyPI into `{}` failed (the tests need them): {}",
            venv.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            importable(&python),
            "`{check_import}` still fails in `{}` after installing {packages:?}",
            venv.display()
        );
    }
    drop(lock);
    venv
}

/// A moto server on 127.0.0.1, killed on drop.
///
/// `url` is a small proxy in front of moto that passes every request and response through
/// unchanged except one moto quirk: moto 5.2.5 writes the Config items of IAM resources with
/// `configurationItemCaptureTime` and `resourceCreationTime` as `2026-11-24 01:35:18.209210`,
/// a form the SDK refuses; AWS sends epoch seconds (or RFC 3339 in rule events, as the
/// reference data shows). The proxy rewrites such a time to RFC 3339 (`T`, `Z`), nothing
/// else. `server_url` is moto itself.
pub struct Moto {
    child: Child,
    pub url: String,
    pub server_url: String,
    pub port: u16,
}

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind a free port on loopback");
    l.local_addr().expect("local address").port()
}

impl Moto {
    /// Installs moto if needed, starts `moto_server -H 127.0.0.1 -p PORT` and waits until
    /// it answers.
    pub fn start() -> Moto {
        let venv = python_venv(
            &[&format!("moto[server]=={MOTO_VERSION}")],
            "import moto.server, flask",
        );
        let port = free_port();
        let server = venv.join("bin").join("moto_server");
        let mut child = Command::new(&server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start `{}`: {e}", server.display()));
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
                let _ = s.write_all(
                    b"GET /moto-api/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
                );
                let mut buf = String::new();
                let _ = s.read_to_string(&mut buf);
                if buf.starts_with("HTTP/1.") {
                    break;
                }
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("moto_server exited before it answered: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "moto_server did not answer on {url} within 60 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let proxy = start_time_fixing_proxy(url.clone());
        Moto {
            child,
            url: proxy,
            server_url: url,
            port,
        }
    }
}

/// The proxy of [`Moto`]: forwards each request to `to`, fixing Config items' times.
fn start_time_fixing_proxy(to: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind the moto proxy");
    let port = listener.local_addr().expect("local address").port();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { continue };
            let to = to.clone();
            std::thread::spawn(move || {
                let Ok(mut writer) = conn.try_clone() else {
                    return;
                };
                let mut reader = BufReader::new(conn);
                if let Some(req) = read_request(&mut reader) {
                    let raw = forward(&to, &req);
                    let raw = if req.target.starts_with("StarlingDoveService.") {
                        fix_config_times(raw)
                    } else {
                        raw
                    };
                    let _ = writer.write_all(&raw);
                }
            });
        }
    });
    format!("http://127.0.0.1:{port}")
}

/// Rewrites moto's `"…Time": "YYYY-MM-DD HH:MM:SS[.ffffff]"` to RFC 3339 in a raw HTTP
/// response, and its Content-Length to match.
fn fix_config_times(raw: Vec<u8>) -> Vec<u8> {
    let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        return raw;
    };
    let (head, body) = raw.split_at(split + 4);
    let Ok(text) = std::str::from_utf8(body) else {
        return raw;
    };
    let times = regex::Regex::new(
        r#"("(?:configurationItemCaptureTime|resourceCreationTime)": ")(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?)""#,
    )
    .expect("pattern");
    let fixed = times.replace_all(text, "${1}${2}T${3}Z\"");
    if fixed == text {
        return raw;
    }
    let head = String::from_utf8_lossy(head);
    let mut out = String::new();
    for line in head.split("\r\n") {
        if line.to_ascii_lowercase().starts_with("content-length:") {
            out.push_str(&format!("Content-Length: {}", fixed.len()));
        } else {
            out.push_str(line);
        }
        out.push_str("\r\n");
    }
    // `head` ended with the blank line: the split gave two trailing empty pieces.
    out.truncate(out.len() - 2);
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(fixed.as_bytes());
    bytes
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP request as the recorder saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// `X-Amz-Target`, e.g. `StarlingDoveService.PutEvaluations`.
    pub target: String,
    /// The operation: the target's last part (`PutEvaluations`), a query protocol's
    /// `Action` (EC2's `RevokeSecurityGroupIngress`), else the method and path (S3's
    /// `PUT /bucket/key`).
    pub operation: String,
    pub body: Value,
    pub status: u16,
    pub response: Value,
}

/// What the recorder answers to the `n`-th `PutEvaluations` call (0-based): a status and a
/// JSON body, or `None` for the default (200, every evaluation accepted).
pub type Script = Box<dyn Fn(usize, &Value) -> Option<(u16, String)> + Send + Sync>;

/// What the recorder answers to any other call, by operation name (`SelectResourceConfig`)
/// and JSON body: a status and a JSON body, or `None` to forward it (or, with nowhere to
/// forward, to answer 400).
pub type Handler = Box<dyn Fn(&str, &Value) -> Option<(u16, String)> + Send + Sync>;

/// An AWS Config endpoint on loopback that answers `PutEvaluations` itself (by a script)
/// and forwards every other call to `forward` (moto), recording everything.
///
/// moto does not run advanced queries (its `SelectResourceConfig` answers canned results),
/// so when the recorder forwards to moto it answers `SelectResourceConfig` itself: for each
/// resource type quoted in the expression, what moto's `ListDiscoveredResources` and
/// `BatchGetResourceConfig` return, as advanced query results. A [`Handler`] given to
/// [`Recorder::serve`] answers before that.
pub struct Recorder {
    pub url: String,
    pub requests: Arc<Mutex<Vec<Recorded>>>,
    stop: Arc<AtomicBool>,
    port: u16,
}

/// One HTTP/1.1 request read from a connection.
pub struct Request {
    /// The request line and the headers but `Connection`, as sent (to forward it).
    pub head: String,
    /// The `X-Amz-Target` header (`StarlingDoveService.PutEvaluations`), or empty.
    pub target: String,
    pub body: Vec<u8>,
}

impl Request {
    /// The method and path of the request line.
    pub fn method_and_path(&self) -> Option<(&str, &str)> {
        let mut words = self.head.lines().next()?.split_whitespace();
        Some((words.next()?, words.next()?))
    }
}

/// Reads one request (its `Content-Length` body included); `None` at the end of the
/// connection or on a malformed request.
pub fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut head = String::new();
    let mut target = String::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if line == "\r\n" || line == "\n" {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().ok()?;
        }
        if lower.starts_with("x-amz-target:") {
            target = line["x-amz-target:".len()..].trim().to_string();
        }
        if !lower.starts_with("connection:") {
            head.push_str(&line);
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).ok()?;
    Some(Request { head, target, body })
}

/// The operation a request calls and its body: JSON protocols by `X-Amz-Target` (the body
/// as JSON), query protocols by the form's `Action` (the body as an object of its fields),
/// anything else by method and path (the body as text, or null when empty).
fn operation_and_body(req: &Request) -> (String, Value) {
    if !req.target.is_empty() {
        let operation = req
            .target
            .rsplit('.')
            .next()
            .unwrap_or_default()
            .to_string();
        return (
            operation,
            serde_json::from_slice(&req.body).unwrap_or(Value::Null),
        );
    }
    let text = String::from_utf8_lossy(&req.body).to_string();
    let form = form_fields(&text);
    if let Some(action) = form.get("Action").and_then(Value::as_str) {
        return (action.to_string(), Value::Object(form));
    }
    let operation = req
        .method_and_path()
        .map(|(m, p)| format!("{m} {}", p.split('?').next().unwrap_or(p)))
        .unwrap_or_default();
    let body = match text.is_empty() {
        true => Value::Null,
        false => serde_json::from_str(&text).unwrap_or(Value::String(text)),
    };
    (operation, body)
}

/// The fields of an `application/x-www-form-urlencoded` body (empty when it is not one).
pub fn form_fields(text: &str) -> serde_json::Map<String, Value> {
    let mut out = serde_json::Map::new();
    if text.is_empty() || text.starts_with('{') || !text.contains('=') {
        return out;
    }
    for pair in text.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        out.insert(url_decode(k), Value::String(url_decode(v)));
    }
    out
}

fn url_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).to_string()
}

fn forward(to: &str, req: &Request) -> Vec<u8> {
    let addr = to.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).expect("connect to moto");
    s.write_all(req.head.as_bytes()).unwrap();
    s.write_all(b"Connection: close\r\n\r\n").unwrap();
    s.write_all(&req.body).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    out
}

/// Calls `operation` of moto's Config with `body`, signed as `like` was (moto checks no
/// signature, but reads the Region from it); the JSON answer.
fn call_moto(to: &str, like: &Request, operation: &str, body: &Value) -> Value {
    let body = body.to_string().into_bytes();
    let mut head = String::new();
    for line in like.head.lines() {
        let lower = line.to_ascii_lowercase();
        if lower.starts_with("x-amz-target:") {
            head.push_str(&format!(
                "X-Amz-Target: StarlingDoveService.{operation}\r\n"
            ));
        } else if lower.starts_with("content-length:") {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        } else {
            head.push_str(line);
            head.push_str("\r\n");
        }
    }
    let raw = forward(
        to,
        &Request {
            head,
            target: operation.to_string(),
            body,
        },
    );
    let text = String::from_utf8_lossy(&raw);
    let (status, json) = text
        .split_once("\r\n\r\n")
        .expect("an HTTP answer from moto");
    assert!(
        status.starts_with("HTTP/1.1 200") || status.starts_with("HTTP/1.0 200"),
        "moto's {operation} failed: {status} {json}"
    );
    serde_json::from_str(json).expect("moto answers JSON")
}

/// `SelectResourceConfig` over moto: the items of every type quoted in the expression.
fn select_over_moto(to: &str, req: &Request) -> String {
    let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
    let expression = body["Expression"].as_str().unwrap_or("");
    let types: Vec<&str> = expression.split('\'').skip(1).step_by(2).collect();
    let mut results = Vec::new();
    for rtype in types {
        let mut ids = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut ask = serde_json::json!({"resourceType": rtype});
            if let Some(t) = &token {
                ask["nextToken"] = Value::String(t.clone());
            }
            let page = call_moto(to, req, "ListDiscoveredResources", &ask);
            for r in page["resourceIdentifiers"].as_array().into_iter().flatten() {
                if let Some(id) = r["resourceId"].as_str() {
                    ids.push(id.to_string());
                }
            }
            match page["nextToken"].as_str() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => break,
            }
        }
        for chunk in ids.chunks(100) {
            let keys: Vec<Value> = chunk
                .iter()
                .map(|id| serde_json::json!({"resourceType": rtype, "resourceId": id}))
                .collect();
            let got = call_moto(
                to,
                req,
                "BatchGetResourceConfig",
                &serde_json::json!({"resourceKeys": keys}),
            );
            for item in got["baseConfigurationItems"]
                .as_array()
                .into_iter()
                .flatten()
            {
                results.push(select_result(item).to_string());
            }
        }
    }
    serde_json::json!({
        "Results": results,
        "QueryInfo": {"SelectFields": [{"Name": "resourceId"}]}
    })
    .to_string()
}

/// A base configuration item (epoch times, configuration as a JSON string) as an advanced
/// query result (RFC 3339 times, configuration as an object).
fn select_result(item: &Value) -> Value {
    let mut out = item.clone();
    if let Some(obj) = out.as_object_mut() {
        for key in ["configurationItemCaptureTime", "resourceCreationTime"] {
            if let Some(secs) = obj.get(key).and_then(Value::as_f64) {
                #[allow(clippy::cast_possible_truncation)]
                let ts = jiff::Timestamp::from_second(secs as i64).unwrap_or_default();
                obj.insert(key.to_string(), Value::String(ts.to_string()));
            }
        }
        if let Some(text) = obj.get("configuration").and_then(Value::as_str) {
            let parsed = serde_json::from_str(text).unwrap_or(Value::Null);
            obj.insert("configuration".to_string(), parsed);
        }
        obj.remove("version");
    }
    out
}

impl Recorder {
    /// A recorder whose `PutEvaluations` answers come from `script`.
    pub fn start(forward_to: Option<String>, script: Script) -> Recorder {
        let puts = Mutex::new(0usize);
        Recorder::serve(
            forward_to,
            Box::new(move |operation, body| {
                if operation != "PutEvaluations" {
                    return None;
                }
                let n = {
                    let mut p = puts.lock().unwrap();
                    *p += 1;
                    *p - 1
                };
                Some(script(n, body).unwrap_or((200, r#"{"FailedEvaluations":[]}"#.to_string())))
            }),
        )
    }

    /// A recorder that answers what `handler` answers, forwards the rest to `forward_to`.
    pub fn serve(forward_to: Option<String>, handler: Handler) -> Recorder {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the recorder");
        let port = listener.local_addr().unwrap().port();
        let requests: Arc<Mutex<Vec<Recorded>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let handler = Arc::new(handler);
        let answered = Arc::new(Mutex::new(0usize));
        {
            let requests = requests.clone();
            let stop = stop.clone();
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    let requests = requests.clone();
                    let handler = handler.clone();
                    let answered = answered.clone();
                    let forward_to = forward_to.clone();
                    std::thread::spawn(move || {
                        let mut writer = conn.try_clone().unwrap();
                        let mut reader = BufReader::new(conn);
                        while let Some(req) = read_request(&mut reader) {
                            let (operation, body) = operation_and_body(&req);
                            let answer = handler(&operation, &body).or_else(|| {
                                match (&forward_to, operation.as_str()) {
                                    (Some(to), "SelectResourceConfig") => {
                                        Some((200, select_over_moto(to, &req)))
                                    }
                                    _ => None,
                                }
                            });
                            let Some((status, text)) = answer else {
                                let Some(to) = &forward_to else {
                                    let _ = writer.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                                    return;
                                };
                                let raw = forward(to, &req);
                                requests.lock().unwrap().push(Recorded {
                                    target: req.target.clone(),
                                    operation: operation.clone(),
                                    body,
                                    status: 0,
                                    response: Value::Null,
                                });
                                let _ = writer.write_all(&raw);
                                return;
                            };
                            let n = {
                                let mut a = answered.lock().unwrap();
                                *a += 1;
                                *a - 1
                            };
                            requests.lock().unwrap().push(Recorded {
                                target: req.target.clone(),
                                operation: operation.clone(),
                                body,
                                status,
                                response: serde_json::from_str(&text).unwrap_or(Value::Null),
                            });
                            let reason = match status {
                                200 => "OK",
                                400 => "Bad Request",
                                429 => "Too Many Requests",
                                500 => "Internal Server Error",
                                503 => "Service Unavailable",
                                _ => "Status",
                            };
                            let resp = format!(
                                "HTTP/1.1 {status} {reason}\r\nContent-Type: application/x-amz-json-1.1\r\nx-amzn-RequestId: ward-test-{n}\r\nContent-Length: {}\r\nConnection: keep-alive\r\n\r\n{text}",
                                text.len()
                            );
                            if writer.write_all(resp.as_bytes()).is_err() {
                                return;
                            }
                        }
                    });
                }
            });
        }
        Recorder {
            url: format!("http://127.0.0.1:{port}"),
            requests,
            stop,
            port,
        }
    }

    /// The `PutEvaluations` calls, in order.
    pub fn puts(&self) -> Vec<Recorded> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.target.ends_with(".PutEvaluations"))
            .cloned()
            .collect()
    }

    /// Every evaluation Config accepted: those of 200 answers not listed as failed, as
    /// (type, id, compliance type), in the order accepted.
    pub fn accepted(&self) -> Vec<(String, String, String)> {
        let mut out = Vec::new();
        for r in self.puts() {
            if r.status != 200 {
                continue;
            }
            let failed: Vec<(String, String)> = r.response["FailedEvaluations"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|f| {
                    (
                        f["ComplianceResourceType"]
                            .as_str()
                            .unwrap_or("")
                            .to_string(),
                        f["ComplianceResourceId"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect();
            for e in r.body["Evaluations"].as_array().into_iter().flatten() {
                let key = (
                    e["ComplianceResourceType"]
                        .as_str()
                        .unwrap_or("")
                        .to_string(),
                    e["ComplianceResourceId"].as_str().unwrap_or("").to_string(),
                );
                if !failed.contains(&key) {
                    out.push((
                        key.0,
                        key.1,
                        e["ComplianceType"].as_str().unwrap_or("").to_string(),
                    ));
                }
            }
        }
        out
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// What a function posted to the [`RuntimeApi`] for one invocation.
#[derive(Debug, Clone)]
pub struct RuntimeAnswer {
    pub request_id: String,
    /// When it arrived.
    pub at: Instant,
    /// `response` or `error`.
    pub outcome: String,
    pub body: String,
}

/// The Lambda Runtime API on loopback, as the Lambda service serves it to a custom runtime:
/// `GET /2018-06-01/runtime/invocation/next` hands out the event [`RuntimeApi::offer`]ed
/// (once, with the request id, deadline, function ARN and trace headers), else waits; what
/// the function posts (`.../invocation/ID/response`, `.../error`, `/runtime/init/error`)
/// arrives on [`RuntimeApi::answers`] with the time it came.
pub struct RuntimeApi {
    /// `host:port`, for `AWS_LAMBDA_RUNTIME_API`.
    pub address: String,
    pub answers: std::sync::mpsc::Receiver<RuntimeAnswer>,
    offered: Arc<Mutex<Option<(String, String)>>>,
    polls: Arc<Mutex<usize>>,
    next_id: Mutex<usize>,
}

impl RuntimeApi {
    pub fn start() -> RuntimeApi {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the runtime API");
        let address = listener.local_addr().unwrap().to_string();
        let offered: Arc<Mutex<Option<(String, String)>>> = Arc::default();
        let polls: Arc<Mutex<usize>> = Arc::default();
        let (send, answers) = std::sync::mpsc::channel();
        {
            let (offered, polls) = (offered.clone(), polls.clone());
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    let Ok(conn) = conn else { continue };
                    let (offered, polls, send) = (offered.clone(), polls.clone(), send.clone());
                    std::thread::spawn(move || serve_runtime(conn, &offered, &polls, &send));
                }
            });
        }
        RuntimeApi {
            address,
            answers,
            offered,
            polls,
            next_id: Mutex::new(0),
        }
    }

    /// The event the next `next` gets; its request id.
    pub fn offer(&self, event: &str) -> String {
        let mut n = self.next_id.lock().unwrap();
        *n += 1;
        let id = format!("ward-invocation-{n}");
        *self.offered.lock().unwrap() = Some((id.clone(), event.to_string()));
        id
    }

    /// How many times a function asked for the next invocation.
    pub fn polls(&self) -> usize {
        *self.polls.lock().unwrap()
    }

    /// The environment Lambda gives a function, pointing at this API.
    pub fn lambda_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_LAMBDA_RUNTIME_API", self.address.clone()),
            ("AWS_LAMBDA_FUNCTION_NAME", "ward-config-rule".into()),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512".into()),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
            (
                "AWS_LAMBDA_LOG_STREAM_NAME",
                "2026/12/07/[$LATEST]0123456789abcdef".into(),
            ),
            (
                "AWS_LAMBDA_LOG_GROUP_NAME",
                "/aws/lambda/ward-config-rule".into(),
            ),
        ]
    }
}

/// One connection of a function to the runtime API.
fn serve_runtime(
    conn: TcpStream,
    offered: &Mutex<Option<(String, String)>>,
    polls: &Mutex<usize>,
    answers: &std::sync::mpsc::Sender<RuntimeAnswer>,
) {
    let mut writer = conn.try_clone().unwrap();
    let mut reader = BufReader::new(conn);
    while let Some(request) = read_request(&mut reader) {
        let at = Instant::now();
        let Some((method, path)) = request.method_and_path() else {
            return;
        };
        let reply = if method == "GET" && path.ends_with("/runtime/invocation/next") {
            *polls.lock().unwrap() += 1;
            let Some((id, event)) = offered.lock().unwrap().take() else {
                // No more events: wait until the function is stopped.
                let _ = reader.read_to_end(&mut Vec::new());
                return;
            };
            let deadline = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis()
                + 300_000;
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: {id}\r\nLambda-Runtime-Deadline-Ms: {deadline}\r\nLambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:function:ward-config-rule\r\nLambda-Runtime-Trace-Id: Root=1-00000000-000000000000000000000000\r\nContent-Length: {}\r\n\r\n{event}",
                event.len()
            )
        } else {
            // `/runtime/invocation/ID/response`, `/runtime/invocation/ID/error`,
            // `/runtime/init/error`.
            let mut parts = path.rsplit('/');
            let outcome = parts.next().unwrap_or_default().to_string();
            let request_id = parts.next().unwrap_or_default().to_string();
            let _ = answers.send(RuntimeAnswer {
                request_id,
                at,
                outcome,
                body: String::from_utf8_lossy(&request.body).into_owned(),
            });
            "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{\"status\":\"OK\"}\n".to_string()
        };
        if writer.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}

/// Plants resources in moto through the SDK.
pub mod plant {
    use aws_sdk_ec2::types::{IpPermission, IpRange, Ipv6Range};

    use crate::client::Clients;

    /// A security group in the default VPC with SSH (22) open to 0.0.0.0/0 and HTTPS (443)
    /// from 10.0.0.0/8; its id.
    pub async fn open_ssh_group(c: &Clients, name: &str) -> String {
        group_with(
            c,
            name,
            &[
                ("tcp", 22, 22, &["0.0.0.0/0"]),
                ("tcp", 443, 443, &["10.0.0.0/8"]),
            ],
        )
        .await
    }

    /// A security group with the given ingress permissions: (protocol, from port, to port,
    /// sources); a source with a `:` is an IPv6 range.
    pub async fn group_with(
        c: &Clients,
        name: &str,
        permissions: &[(&str, i32, i32, &[&str])],
    ) -> String {
        let sg = c
            .ec2
            .create_security_group()
            .group_name(name)
            .description("ward test security group")
            .send()
            .await
            .expect("CreateSecurityGroup");
        let id = sg.group_id().expect("group id").to_string();
        let mut call = c.ec2.authorize_security_group_ingress().group_id(&id);
        for (protocol, from, to, sources) in permissions {
            let mut p = IpPermission::builder()
                .ip_protocol(*protocol)
                .from_port(*from)
                .to_port(*to);
            for s in *sources {
                p = match s.contains(':') {
                    true => p.ipv6_ranges(Ipv6Range::builder().cidr_ipv6(*s).build()),
                    false => p.ip_ranges(IpRange::builder().cidr_ip(*s).build()),
                };
            }
            call = call.ip_permissions(p.build());
        }
        call.send().await.expect("AuthorizeSecurityGroupIngress");
        id
    }

    /// An instance with an unencrypted 8 GiB volume attached to it; (instance id, volume id).
    pub async fn instance_with_unencrypted_volume(c: &Clients) -> (String, String) {
        let run = c
            .ec2
            .run_instances()
            .image_id("ami-03cf127a")
            .instance_type(aws_sdk_ec2::types::InstanceType::T2Micro)
            .min_count(1)
            .max_count(1)
            .send()
            .await
            .expect("RunInstances");
        let instance = run.instances()[0]
            .instance_id()
            .expect("instance id")
            .to_string();
        let az = run.instances()[0]
            .placement()
            .and_then(|p| p.availability_zone())
            .map_or_else(|| format!("{}a", c.region), str::to_string);
        let v = c
            .ec2
            .create_volume()
            .availability_zone(az)
            .size(8)
            .encrypted(false)
            .send()
            .await
            .expect("CreateVolume");
        let volume = v.volume_id().expect("volume id").to_string();
        c.ec2
            .attach_volume()
            .volume_id(&volume)
            .instance_id(&instance)
            .device("/dev/sdf")
            .send()
            .await
            .expect("AttachVolume");
        (instance, volume)
    }

    /// Tags a resource.
    pub async fn tag(c: &Clients, id: &str, key: &str, value: &str) {
        c.ec2
            .create_tags()
            .resources(id)
            .tags(
                aws_sdk_ec2::types::Tag::builder()
                    .key(key)
                    .value(value)
                    .build(),
            )
            .send()
            .await
            .expect("CreateTags");
    }

    /// The Config rule event Config would send when group `id` changes, its item made from
    /// the group as EC2 describes it now: for `configRuleName` with `ruleParameters`.
    pub async fn change_event(
        c: &Clients,
        id: &str,
        config_rule_name: &str,
        rule_parameters: serde_json::Value,
        result_token: &str,
    ) -> serde_json::Value {
        let out = c
            .ec2
            .describe_security_groups()
            .group_ids(id)
            .send()
            .await
            .expect("DescribeSecurityGroups");
        let g = out.security_groups().first().expect("the group").clone();
        let account = c.account_id().await.expect("GetCallerIdentity");
        let ctx = crate::convert::Ec2Context {
            account_id: account.clone(),
            region: c.region.clone(),
            capture_time: "2026-12-01T10:00:00.000Z".into(),
        };
        let item = crate::convert::security_group(&ctx, &g).expect("a Config item");
        serde_json::json!({
            "version": "1.0",
            "invokingEvent": serde_json::json!({
                "configurationItem": item,
                "notificationCreationTime": "2026-12-01T10:00:05.000Z",
                "messageType": "ConfigurationItemChangeNotification",
                "recordVersion": "1.3"
            }).to_string(),
            "ruleParameters": rule_parameters.to_string(),
            "resultToken": result_token,
            "eventLeftScope": false,
            "executionRoleArn": format!("arn:aws:iam::{account}:role/config-role"),
            "configRuleArn": format!("arn:aws:config:{}:{account}:config-rule/config-rule-0123456", c.region),
            "configRuleName": config_rule_name,
            "configRuleId": "config-rule-0123456",
            "accountId": account
        })
    }

    /// An IAM user with one access key, tagged with `tags`; the key's id.
    pub async fn user_with_key(c: &Clients, name: &str, tags: &[(&str, &str)]) -> String {
        let mut call = c.iam.create_user().user_name(name);
        for (k, v) in tags {
            call = call.tags(
                aws_sdk_iam::types::Tag::builder()
                    .key(*k)
                    .value(*v)
                    .build()
                    .expect("tag"),
            );
        }
        call.send().await.expect("CreateUser");
        let key = c
            .iam
            .create_access_key()
            .user_name(name)
            .send()
            .await
            .expect("CreateAccessKey");
        key.access_key()
            .map(|k| k.access_key_id().to_string())
            .expect("the key")
    }

    /// A user's access keys as (id, status), sorted.
    pub async fn access_keys(c: &Clients, name: &str) -> Vec<(String, String)> {
        let out = c
            .iam
            .list_access_keys()
            .user_name(name)
            .send()
            .await
            .expect("ListAccessKeys");
        let mut keys: Vec<(String, String)> = out
            .access_key_metadata()
            .iter()
            .map(|k| {
                (
                    k.access_key_id().unwrap_or_default().to_string(),
                    k.status().map_or("", |s| s.as_str()).to_string(),
                )
            })
            .collect();
        keys.sort();
        keys
    }

    /// The ingress permissions of a group, as (protocol, from, to, IPv4 and IPv6 sources).
    pub async fn ingress(c: &Clients, id: &str) -> Vec<(String, i32, i32, Vec<String>)> {
        let out = c
            .ec2
            .describe_security_groups()
            .group_ids(id)
            .send()
            .await
            .expect("DescribeSecurityGroups");
        let g = out.security_groups().first().expect("the group").clone();
        let mut perms: Vec<_> = g
            .ip_permissions()
            .iter()
            .map(|p| {
                let mut cidrs: Vec<String> = p
                    .ip_ranges()
                    .iter()
                    .filter_map(|r| r.cidr_ip().map(str::to_string))
                    .chain(
                        p.ipv6_ranges()
                            .iter()
                            .filter_map(|r| r.cidr_ipv6().map(str::to_string)),
                    )
                    .collect();
                cidrs.sort();
                (
                    p.ip_protocol().unwrap_or("").to_string(),
                    p.from_port().unwrap_or(-1),
                    p.to_port().unwrap_or(-1),
                    cidrs,
                )
            })
            .collect();
        perms.sort();
        perms
    }
}
