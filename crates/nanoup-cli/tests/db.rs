//! `nanoup db import | update | status` end to end, with NANOUP_HOME in a temporary directory and
//! downloads from a server on 127.0.0.1 that serves ../shared/osv (never the real network).

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use assert_cmd::Command;
use predicates::prelude::*;

fn osv() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/osv")
}

fn zip(ecosystem: &str) -> PathBuf {
    osv().join(ecosystem).join("all.zip")
}

fn index(home: &Path) -> PathBuf {
    home.join("advisories.idx")
}

fn nanoup(home: &Path) -> Command {
    let mut cmd = Command::cargo_bin("nanoup").unwrap();
    cmd.env("NANOUP_HOME", home)
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .env_remove("ALL_PROXY")
        .env("NANOUP_HTTP_RETRIES", "1")
        .env("NANOUP_HTTP_BACKOFF_MS", "10")
        .env("NANOUP_HTTP_TIMEOUT", "5");
    cmd
}

/// `nanoup db import SOURCE`, which must succeed.
fn import(home: &Path, source: &Path) {
    nanoup(home)
        .args(["db", "import"])
        .arg(source)
        .assert()
        .success();
}

fn stdout_of(cmd: &mut Command) -> String {
    let out = cmd.assert().success().get_output().stdout.clone();
    String::from_utf8(out).unwrap()
}

/// The count on the line of the totals section that names `ecosystem`.
fn total_for(status: &str, ecosystem: &str) -> Option<u64> {
    let totals = status.split("\nrecords: ").nth(1)?;
    totals.lines().skip(1).find_map(|line| {
        let mut parts = line.split_whitespace();
        (parts.next()? == ecosystem).then(|| parts.next()?.parse().ok())?
    })
}

#[test]
fn imports_all_five_exports_and_status_counts_them() {
    let home = tempfile::tempdir().unwrap();
    let sources: Vec<PathBuf> = ["crates.io", "PyPI", "Go", "npm", "Maven"]
        .iter()
        .map(|e| zip(e))
        .collect();
    let out = stdout_of(nanoup(home.path()).arg("db").arg("import").args(&sources));
    assert!(
        out.contains("1206 records (crates.io 1206), 0 skipped"),
        "{out}"
    );
    assert!(out.contains("7080 records (PyPI 7080)"), "{out}");
    assert!(out.contains("4291 records (Go 4291)"), "{out}");
    let status = stdout_of(nanoup(home.path()).args(["db", "status"]));
    assert!(status.contains("sources: 5"), "{status}");
    assert_eq!(total_for(&status, "crates.io"), Some(1206), "{status}");
    assert_eq!(total_for(&status, "PyPI"), Some(7080), "{status}");
    assert_eq!(total_for(&status, "Go"), Some(4291), "{status}");
    assert_eq!(total_for(&status, "npm"), Some(106), "{status}");
    assert_eq!(total_for(&status, "Maven"), Some(31), "{status}");
    // GHSA-rc47-6667-2j5j is in both the npm and the Maven zip: one record.
    assert!(status.contains("records: 12713\n"), "{status}");
    assert!(status.contains("kind osv-zip, imported 2"), "{status}");
}

#[test]
fn reimporting_a_source_replaces_it() {
    let home = tempfile::tempdir().unwrap();
    import(home.path(), &zip("crates.io"));
    import(home.path(), &zip("npm"));
    let again = stdout_of(
        nanoup(home.path())
            .args(["db", "import"])
            .arg(zip("crates.io")),
    );
    assert!(again.contains("replacing 1206 earlier"), "{again}");
    assert!(again.contains("1312 records from 2 sources"), "{again}");
    let status = stdout_of(nanoup(home.path()).args(["db", "status"]));
    assert!(status.contains("sources: 2"), "{status}");
    assert_eq!(total_for(&status, "crates.io"), Some(1206), "{status}");
}

#[test]
fn a_failed_import_leaves_the_index_byte_identical() {
    let home = tempfile::tempdir().unwrap();
    import(home.path(), &zip("npm"));
    let before = std::fs::read(index(home.path())).unwrap();
    let missing = home.path().join("no-such-export.zip");
    nanoup(home.path())
        .args(["db", "import"])
        .arg(zip("Maven"))
        .arg(&missing)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("no-such-export.zip")
                .and(predicate::str::contains("left unchanged")),
        );
    assert_eq!(std::fs::read(index(home.path())).unwrap(), before);
    // Nothing but the index (no stray temporary files) in the data directory.
    let names: Vec<String> = std::fs::read_dir(home.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["advisories.idx"]);
}

#[test]
fn imports_a_rustsec_checkout_and_creates_the_data_dir() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("not/yet/there");
    let rustsec = osv().join("../advisory-db/rustsec");
    let out = stdout_of(nanoup(&home).args(["db", "import"]).arg(&rustsec));
    assert!(out.contains("[rustsec]"), "{out}");
    let status = stdout_of(nanoup(&home).args(["db", "status"]));
    let n = total_for(&status, "crates.io").unwrap();
    assert!((1100..1300).contains(&n), "{status}");
}

#[test]
fn status_without_an_index_says_what_to_do() {
    let home = tempfile::tempdir().unwrap();
    nanoup(home.path())
        .args(["db", "status"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("no advisory index yet")
                .and(predicate::str::contains("nanoup db import")),
        );
}

#[test]
fn status_warns_when_the_data_is_older_than_max_age() {
    let home = tempfile::tempdir().unwrap();
    import(home.path(), &zip("Maven"));
    nanoup(home.path())
        .args(["db", "status"])
        .assert()
        .success()
        .stderr(predicate::str::contains("warning").not());
    nanoup(home.path())
        .args(["db", "status", "--max-age", "0s"])
        .assert()
        .success()
        .stderr(
            predicate::str::contains("warning: the advisory data was last checked current")
                .and(predicate::str::contains("run `nanoup db update`")),
        );
    nanoup(home.path())
        .args(["db", "status", "--max-age", "soon"])
        .assert()
        .code(2);
}

// ---- db update against a local server -------------------------------------------------------

#[derive(Clone, Copy)]
enum Mode {
    /// Serve ../shared/osv, with ETag and 304 on If-None-Match.
    Files,
    /// Serve npm/all.zip for every ecosystem (small, for scan tests).
    NpmForAll,
    /// 500 to every request.
    Broken,
}

struct Server {
    addr: SocketAddr,
    /// (path, status) of each request.
    log: Arc<Mutex<Vec<(String, u16)>>>,
}

impl Server {
    fn base(&self) -> String {
        format!("http://{}", self.addr)
    }
    fn log(&self) -> Vec<(String, u16)> {
        self.log.lock().unwrap().clone()
    }
}

fn serve(mode: Mode) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = log.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let seen = seen.clone();
            std::thread::spawn(move || answer(stream, mode, &seen));
        }
    });
    Server { addr, log }
}

fn answer(stream: TcpStream, mode: Mode, seen: &Mutex<Vec<(String, u16)>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut if_none_match = None;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':')
            && k.trim().eq_ignore_ascii_case("if-none-match")
        {
            if_none_match = Some(v.trim().to_string());
        }
    }
    let ecosystem = path
        .strip_prefix('/')
        .and_then(|p| p.strip_suffix("/all.zip"))
        .filter(|e| !e.contains('/') && !e.contains(".."));
    let file = match (mode, ecosystem) {
        (Mode::Files, Some(e)) => Some(zip(e)).filter(|p| p.is_file()),
        (Mode::NpmForAll, Some(_)) => Some(zip("npm")),
        _ => None,
    };
    let (status, headers, body) = match (mode, file) {
        (Mode::Broken, _) => (500, String::new(), b"broken".to_vec()),
        (_, None) => (404, String::new(), b"not here".to_vec()),
        (_, Some(file)) => {
            let bytes = std::fs::read(&file).unwrap();
            let etag = format!("\"{:x}-{:x}\"", bytes.len(), fnv(&bytes));
            if if_none_match.as_deref() == Some(etag.as_str()) {
                (304, format!("ETag: {etag}\r\n"), Vec::new())
            } else {
                (200, format!("ETag: {etag}\r\n"), bytes)
            }
        }
    };
    seen.lock().unwrap().push((path, status));
    let mut stream = stream;
    let head = format!(
        "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n{headers}\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&body);
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

#[test]
fn update_downloads_then_revalidates_with_304() {
    let server = serve(Mode::Files);
    let home = tempfile::tempdir().unwrap();
    let update = |home: &Path| {
        let mut cmd = nanoup(home);
        cmd.args(["db", "update", "--source", &server.base()])
            .args(["--ecosystem", "crates.io", "--ecosystem", "npm"]);
        stdout_of(&mut cmd)
    };
    let first = update(home.path());
    assert!(first.contains("crates.io: downloaded 1.2 MiB"), "{first}");
    assert!(
        first.contains("/crates.io/all.zip [osv-download]: 1206 records"),
        "{first}"
    );
    assert!(first.contains("npm: downloaded"), "{first}");
    assert_eq!(
        server.log(),
        [
            ("/crates.io/all.zip".to_string(), 200),
            ("/npm/all.zip".to_string(), 200)
        ]
    );
    let before = std::fs::read(index(home.path())).unwrap();
    let second = update(home.path());
    assert!(
        second.contains("crates.io: not modified, kept 1206 records"),
        "{second}"
    );
    assert!(
        second.contains("records unchanged: every export is current"),
        "{second}"
    );
    assert_eq!(
        server.log()[2..],
        [
            ("/crates.io/all.zip".to_string(), 304),
            ("/npm/all.zip".to_string(), 304)
        ]
    );
    // A 304 rewrites nothing but the time the sources were last confirmed current.
    assert_eq!(
        std::fs::read(index(home.path())).unwrap().len(),
        before.len()
    );
    let status = stdout_of(nanoup(home.path()).args(["db", "status"]));
    assert!(
        status.contains(&format!("{}/crates.io/all.zip", server.base())),
        "{status}"
    );
    assert_eq!(total_for(&status, "crates.io"), Some(1206), "{status}");
}

#[test]
fn a_failed_update_exits_non_zero_and_keeps_the_index() {
    let home = tempfile::tempdir().unwrap();
    import(home.path(), &zip("Maven"));
    let before = std::fs::read(index(home.path())).unwrap();

    let broken = serve(Mode::Broken);
    nanoup(home.path())
        .args(["db", "update", "--source", &broken.base(), "-e", "Maven"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains(format!("{}/Maven/all.zip", broken.base()))
                .and(predicate::str::contains("HTTP 500"))
                .and(predicate::str::contains("left unchanged")),
        );
    assert_eq!(broken.log().len(), 2, "one retry allowed");

    // Nothing listening on the port at all.
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    nanoup(home.path())
        .args([
            "db",
            "update",
            "--source",
            &format!("http://{closed}"),
            "-e",
            "Go",
        ])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("cannot connect to").and(predicate::str::contains(format!(
                "http://{closed}/Go/all.zip"
            ))),
        );

    // A 404 for the second ecosystem: the first download is not stored either.
    let files = serve(Mode::Files);
    nanoup(home.path())
        .args(["db", "update", "--source", &files.base()])
        .args(["-e", "npm", "-e", "NoSuchEcosystem"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "NoSuchEcosystem/all.zip was not found",
        ));
    assert_eq!(std::fs::read(index(home.path())).unwrap(), before);
}

#[test]
fn update_chooses_ecosystems_from_the_stacks_under_path() {
    let server = serve(Mode::NpmForAll);
    let home = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    std::fs::write(
        project.path().join("Cargo.lock"),
        "version = 4\n\n[[package]]\nname = \"smallvec\"\nversion = \"1.4.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
    )
    .unwrap();
    std::fs::write(
        project.path().join("requirements.txt"),
        "requests==2.19.0\n",
    )
    .unwrap();
    std::fs::write(project.path().join("Dockerfile"), "FROM alpine:3.19\n").unwrap();
    nanoup(home.path())
        .args(["db", "update", "--source", &server.base()])
        .arg(project.path())
        .assert()
        .success();
    let mut paths: Vec<String> = server.log().into_iter().map(|(p, _)| p).collect();
    paths.sort();
    assert_eq!(paths, ["/PyPI/all.zip", "/crates.io/all.zip"]);

    let empty = tempfile::tempdir().unwrap();
    nanoup(home.path())
        .args(["db", "update", "--source", &server.base()])
        .arg(empty.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("nothing to update"));
    assert_eq!(server.log().len(), 2);
}
