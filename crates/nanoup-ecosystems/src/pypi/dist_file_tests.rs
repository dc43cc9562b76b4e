use super::*;

/// flask 3.1.1's wheel (103,305 bytes, recorded from files.pythonhosted.org; see
/// tests/fixtures/registry/pypi/README.md).
fn flask_wheel() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/registry/pypi/files/packages/3d/68/",
        "9d4508e893976286d2ead7f8f571314af6c2037af34853a30fd769c02e9d/",
        "flask-3.1.1-py3-none-any.whl"
    ))
    .unwrap()
}

/// The recorded `.metadata` file beside the same wheel: what the wheel's METADATA must equal.
fn flask_metadata() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/registry/pypi/files/packages/3d/68/",
        "9d4508e893976286d2ead7f8f571314af6c2037af34853a30fd769c02e9d/",
        "flask-3.1.1-py3-none-any.whl.metadata"
    ))
    .unwrap()
}

/// Serves `wheel_metadata`'s asks from `file` as a range-answering server would, starting from
/// the last `tail` bytes: the metadata and the number of further ranges asked for.
fn read_in_parts(file: &[u8], tail: u64) -> (Vec<u8>, usize, u64) {
    let start = file.len().saturating_sub(tail as usize);
    let mut parts = FileParts {
        first: file[start..].to_vec(),
        tail_asked: Some(tail),
        ranges: Vec::new(),
    };
    loop {
        match wheel_metadata(&parts).unwrap() {
            FileRead::Done(bytes) => {
                let fetched = parts.first.len() as u64
                    + parts
                        .ranges
                        .iter()
                        .map(|(_, b)| b.len() as u64)
                        .sum::<u64>();
                return (bytes, parts.ranges.len(), fetched);
            }
            FileRead::Need { start, end } => {
                assert!(parts.ranges.len() < 10, "asked too often: {parts:?}");
                parts
                    .ranges
                    .push((start, file[start as usize..end as usize].to_vec()));
            }
        }
    }
}

#[test]
fn a_wheels_metadata_is_read_from_its_end_without_the_rest() {
    let wheel = flask_wheel();
    let (metadata, asked, fetched) = read_in_parts(&wheel, WHEEL_TAIL);
    assert_eq!(metadata, flask_metadata());
    // A wheel's .dist-info comes last: its end usually holds the member too.
    assert!(asked <= 1, "{asked} ranges after the end");
    assert!(
        fetched <= WHEEL_TAIL + MIN_RANGE && fetched < wheel.len() as u64,
        "{fetched} of {}",
        wheel.len()
    );
}

#[test]
fn a_central_directory_larger_than_the_tail_is_asked_for() {
    let wheel = flask_wheel();
    let (metadata, asked, _) = read_in_parts(&wheel, 200);
    assert_eq!(metadata, flask_metadata());
    assert!(asked >= 2, "{asked}");
}

#[test]
fn a_whole_file_answer_needs_no_ranges() {
    // A server that ignores `Range` sends the whole wheel: longer than the tail asked for.
    let wheel = flask_wheel();
    let parts = FileParts {
        first: wheel.clone(),
        tail_asked: Some(1024),
        ranges: Vec::new(),
    };
    assert_eq!(
        wheel_metadata(&parts).unwrap(),
        FileRead::Done(flask_metadata())
    );
}

#[test]
fn what_is_not_a_wheel_is_an_error_not_a_panic() {
    let wheel = flask_wheel();
    for bad in [
        Vec::new(),
        b"<html>not found</html>".to_vec(),
        wheel[..wheel.len() - 30].to_vec(), // the end record cut off
        vec![0x50; 70_000],
    ] {
        let parts = FileParts {
            first: bad.clone(),
            tail_asked: Some(bad.len() as u64),
            ranges: Vec::new(),
        };
        assert!(wheel_metadata(&parts).is_err(), "{} bytes", bad.len());
    }
    // A tail whose end record makes the file shorter than the tail.
    let mut tail = wheel[wheel.len() - 100..].to_vec();
    let at = tail.len() - 22;
    tail[at + 12..at + 20].copy_from_slice(&[0; 8]);
    let parts = FileParts {
        first: tail.clone(),
        tail_asked: Some(100),
        ranges: Vec::new(),
    };
    assert!(wheel_metadata(&parts).is_err());
}

/// A gzip'd tar of `files` (path, text), as an sdist is packed.
fn sdist(files: &[(&str, &str)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (path, text) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(text.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder
            .append_data(&mut header, path, text.as_bytes())
            .unwrap();
    }
    let tar = builder.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &tar).unwrap();
    gz.finish().unwrap()
}

#[test]
fn an_old_sdists_dependencies_come_from_its_egg_info() {
    // PKG-INFO 2.1 without Requires-Dist, as setuptools wrote them (petl 1.6.8's shape).
    let pkg_info = "Metadata-Version: 2.1\nName: petl\nVersion: 1.6.8\nRequires-Python: >=2.7\n\nA description: with colons.\n";
    let requires = "six>=1.0\n\n[:python_version < \"3\"]\nenum34\n\n[xlsx]\nopenpyxl>=2.6\n\n[db:sys_platform == \"win32\"]\npywin32\n";
    let bytes = sdist(&[
        ("petl-1.6.8/PKG-INFO", pkg_info),
        ("petl-1.6.8/petl.egg-info/PKG-INFO", pkg_info),
        ("petl-1.6.8/petl.egg-info/requires.txt", requires),
        ("petl-1.6.8/setup.py", "setup()"),
    ]);
    let text = sdist_metadata(&bytes).unwrap();
    let metadata = crate::pypi::registry::parse_core_metadata(&text).unwrap();
    assert_eq!(metadata.version, "1.6.8");
    assert_eq!(metadata.requires_python.as_deref(), Some(">=2.7"));
    assert_eq!(
        metadata.requires_dist.unwrap(),
        [
            "six>=1.0",
            "enum34; python_version < \"3\"",
            "openpyxl>=2.6; extra == \"xlsx\"",
            "pywin32; (sys_platform == \"win32\") and extra == \"db\"",
        ]
    );

    // An egg-info without requires.txt: no dependencies.
    let bytes = sdist(&[
        (
            "x-1.0/PKG-INFO",
            "Metadata-Version: 2.1\nName: x\nVersion: 1.0\n",
        ),
        ("x-1.0/src/x.egg-info/SOURCES.txt", "setup.py\n"),
    ]);
    let metadata =
        crate::pypi::registry::parse_core_metadata(&sdist_metadata(&bytes).unwrap()).unwrap();
    assert_eq!(metadata.requires_dist, Some(vec![]));

    // Core metadata 2.2 is trusted as written; an old PKG-INFO alone says nothing.
    let bytes = sdist(&[(
        "y-2.0/PKG-INFO",
        "Metadata-Version: 2.2\nName: y\nVersion: 2.0\nRequires-Dist: idna>=2\n",
    )]);
    let metadata =
        crate::pypi::registry::parse_core_metadata(&sdist_metadata(&bytes).unwrap()).unwrap();
    assert_eq!(metadata.requires_dist, Some(vec!["idna>=2".to_string()]));
    let bytes = sdist(&[(
        "z-1.0/PKG-INFO",
        "Metadata-Version: 1.0\nName: z\nVersion: 1.0\n",
    )]);
    let error = sdist_metadata(&bytes).unwrap_err().0;
    assert!(error.contains("only known by building it"), "{error}");
    assert!(sdist_metadata(b"not gzip").is_err());
    assert!(sdist_metadata(&bytes[..bytes.len() / 2]).is_err());
}
