//! Helpers shared by the CLI's integration tests.

#![allow(dead_code)] // each test binary uses a different part

pub mod replay;
pub mod repo;

use std::path::Path;

/// A project with a Cargo, an npm and a PyPI stack pointed at `base`.
pub fn project(dir: &Path, base: &str) {
    let w = |rel: &str, text: &str| {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    let crates_io = "registry+https://github.com/rust-lang/crates.io-index";
    w(
        "rust/Cargo.toml",
        "[package]\nname = \"demo\"\nversion = \"0.1.0\"\n\n[dependencies]\nsmallvec = \"1.4\"\nserde = \"1\"\nnosuchcrate = \"0.1\"\n",
    );
    w(
        "rust/Cargo.lock",
        &format!(
            "version = 3\n\n[[package]]\nname = \"demo\"\nversion = \"0.1.0\"\ndependencies = [\"nosuchcrate\", \"serde\", \"smallvec\"]\n\n\
             [[package]]\nname = \"nosuchcrate\"\nversion = \"0.1.0\"\nsource = \"{crates_io}\"\n\n\
             [[package]]\nname = \"serde\"\nversion = \"1.0.100\"\nsource = \"{crates_io}\"\n\n\
             [[package]]\nname = \"smallvec\"\nversion = \"1.4.0\"\nsource = \"{crates_io}\"\n"
        ),
    );
    w(
        "rust/.cargo/config.toml",
        &format!(
            "[source.crates-io]\nreplace-with = \"replay\"\n\n[source.replay]\nregistry = \"sparse+{base}/crates.io/\"\n"
        ),
    );
    let deps = [
        ("ms", "2.0.0"),
        ("axios", "0.21.1"),
        ("left-pad", "1.1.0"),
        ("express", "4.17.1"),
        ("nosuchpkg", "1.0.0"),
    ];
    let manifest: Vec<String> = deps
        .iter()
        .map(|(n, v)| format!("\"{n}\": \"^{v}\""))
        .collect();
    w(
        "web/package.json",
        &format!(
            "{{\"name\":\"demo\",\"version\":\"1.0.0\",\"dependencies\":{{{}}}}}\n",
            manifest.join(",")
        ),
    );
    let entries: Vec<String> = deps
        .iter()
        .map(|(n, v)| {
            format!("\"node_modules/{n}\":{{\"version\":\"{v}\",\"resolved\":\"https://registry.npmjs.org/{n}/-/{n}-{v}.tgz\",\"integrity\":\"sha512-x\"}}")
        })
        .collect();
    w(
        "web/package-lock.json",
        &format!(
            "{{\"name\":\"demo\",\"version\":\"1.0.0\",\"lockfileVersion\":3,\"requires\":true,\"packages\":{{\"\":{{\"name\":\"demo\",\"version\":\"1.0.0\",\"dependencies\":{{{}}}}},{}}}}}\n",
            manifest.join(","),
            entries.join(",")
        ),
    );
    w("web/.npmrc", &format!("registry={base}/npm/\n"));
    w("py/requirements.txt", "flask==2.0.0\nrequests==2.25.0\n");
}
