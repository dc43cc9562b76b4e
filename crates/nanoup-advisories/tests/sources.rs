//! Reading the real advisory sources in ../shared, and refusing hostile ones without harm.

use std::io::Write;
use std::path::PathBuf;

use nanoup_advisories::sources::{MAX_ENTRY_BYTES, read_source, read_zip};

fn shared(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared")
        .join(rel)
}

#[test]
fn osv_exports_read_completely() {
    // Entry counts from ../shared/osv/SOURCES.md (crates.io 1,206, PyPI 7,080, Go 4,291) and
    // `unzip -l` for the npm and Maven subsets.
    for (zip, entries) in [("crates.io", 1206), ("PyPI", 7080), ("Go", 4291)] {
        let imported = read_source(&shared(&format!("osv/{zip}/all.zip"))).unwrap();
        assert_eq!(imported.kind, "osv-zip");
        assert_eq!(
            imported.advisories.len(),
            entries,
            "{zip}: {:?}",
            imported.skipped
        );
        assert!(imported.skipped.is_empty(), "{zip}: {:?}", imported.skipped);
    }
    let npm = read_source(&shared("osv/npm/all.zip")).unwrap();
    let maven = read_source(&shared("osv/Maven/all.zip")).unwrap();
    assert_eq!(npm.advisories.len() + maven.advisories.len(), 137);
}

#[test]
fn rustsec_native_matches_its_osv_export() {
    let native = read_source(&shared("advisory-db/rustsec")).unwrap();
    assert_eq!(native.kind, "rustsec");
    assert!(native.skipped.is_empty(), "{:?}", native.skipped);
    let smallvec = native
        .advisories
        .iter()
        .find(|a| a.id == "RUSTSEC-2021-0003")
        .unwrap();
    assert_eq!(smallvec.summary, "Buffer overflow in SmallVec::insert_many");
    assert_eq!(smallvec.affected[0].name, "smallvec");
    assert_eq!(
        smallvec.affected[0].patched,
        [">= 0.6.14, < 1.0.0", ">= 1.6.1"]
    );
    assert_eq!(smallvec.affected[0].unaffected, ["< 0.6.3"]);
    assert_eq!(smallvec.aliases, ["CVE-2021-25900", "GHSA-43w2-9j62-hq99"]);
    // SOURCES.md: the main branch has 1,205 crate advisories; the rust/ toolchain ones come on top.
    let crates = native
        .advisories
        .iter()
        .filter(|a| a.affected[0].ecosystem == "crates.io")
        .count();
    assert!(crates >= 1205, "{crates}");
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut w = zip::ZipWriter::new(&mut buf);
    for (name, data) in entries {
        w.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap();
    buf.into_inner()
}

#[test]
fn bad_zip_members_are_skipped_and_counted() {
    let good = std::fs::read(shared("osv/fixtures/RUSTSEC-2021-0135.json")).unwrap();
    let big = vec![b' '; MAX_ENTRY_BYTES as usize + 10];
    let bytes = zip_of(&[
        ("GOOD.json", &good),
        ("../evil.json", &good),
        ("/abs.json", &good),
        ("notjson.json", b"{ this is not json"),
        ("noid.json", b"{\"summary\": \"no id\"}"),
        ("README.md", b"# not an advisory"),
        ("big.json", &big),
        ("weird.json", b"{\"id\":\"X-1\",\"affected\":[{\"package\":{\"ecosystem\":\"Unknown:9\",\"name\":\"p\"}}]}"),
    ]);
    let imported = read_zip(&bytes).unwrap();
    let ids: Vec<&str> = imported.advisories.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert!(ids.contains(&"RUSTSEC-2021-0135") && ids.contains(&"X-1"));
    assert_eq!(imported.skipped.len(), 5, "{:?}", imported.skipped);
    assert!(
        imported
            .skipped
            .iter()
            .any(|s| s.starts_with("../evil.json: hostile"))
    );
    assert!(imported.skipped.iter().any(|s| s.starts_with("big.json:")));
}

#[test]
fn a_truncated_zip_is_an_error_not_a_panic() {
    let bytes = std::fs::read(shared("osv/crates.io/all.zip")).unwrap();
    for cut in [0, 10, 1000, bytes.len() / 2, bytes.len() - 10] {
        assert!(read_zip(&bytes[..cut]).is_err(), "cut at {cut}");
    }
}
