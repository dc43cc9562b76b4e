use nanoup_core::{Scope, Source};

use super::*;
use crate::testutil::corpus_tree;

const CLI: &str = "go/cli__cli__e2973453b5";

#[test]
fn cli_has_the_32_go_mod_requirements() {
    // Cross-checked with python3: 32 lines of the `require (` block match `\t<path> v...`,
    // one of them with `// indirect`; go.sum has 697 lines, 629 distinct module@version pairs
    // (the MANIFEST's count) of which 68 carry a module zip hash.
    let scanned = scan(&corpus_tree(CLI));
    assert!(scanned.errors.is_empty(), "{:?}", scanned.errors);
    assert_eq!(scanned.stacks.len(), 1);
    let stack = &scanned.stacks[0];
    assert_eq!(stack.path, ".");
    assert_eq!(
        stack.files,
        vec!["go.mod".to_string(), "go.sum".to_string()]
    );
    assert_eq!(stack.components.len(), 32);
    assert_eq!(stack.direct_count(), 31);
    assert_eq!(stack.unresolved_count(), 0);
    assert!(
        stack
            .components
            .iter()
            .all(|c| c.scope == Scope::Prod && c.file == "go.mod")
    );

    let find = |name: &str| {
        stack
            .components
            .iter()
            .find(|c| c.name == name)
            .expect(name)
    };
    let objx = find("github.com/stretchr/objx");
    assert!(!objx.direct);
    assert_eq!((objx.version.as_deref(), objx.line), (Some("v0.1.1"), 31));

    let cobra = find("github.com/spf13/cobra");
    assert!(cobra.direct);
    assert_eq!(cobra.version.as_deref(), Some("v1.2.1"));
    assert_eq!(cobra.purl, "pkg:golang/github.com/spf13/cobra@v1.2.1");
    assert_eq!(
        cobra.extra.get("checksum").map(String::as_str),
        Some("h1:+KmjbUw1hriSNMF55oPrkZcb27aECyrj8V2ytv7kWDw=")
    );

    // `replace github.com/shurcooL/graphql => github.com/cli/shurcooL-graphql v0.0.0-2020...`
    let graphql = find("github.com/shurcooL/graphql");
    assert_eq!(
        graphql.version.as_deref(),
        Some("v0.0.0-20200707151639-0f7232a2bf7e")
    );
    assert_eq!(
        graphql.requirement.as_deref(),
        Some("v0.0.0-20181231061246-d48a9a75455f")
    );
    assert_eq!(
        graphql.extra.get("replace").map(String::as_str),
        Some("github.com/cli/shurcooL-graphql v0.0.0-20200707151639-0f7232a2bf7e")
    );
    assert_eq!(
        graphql.extra.get("checksum").map(String::as_str),
        Some("h1:aq/1jlmtZoS6nlSp3yLOTZQ50G+dzHdeRNENgE/iBew=")
    );
    assert_eq!(graphql.source, Source::Registry);

    let pseudo = find("github.com/google/shlex");
    assert_eq!(
        pseudo.version.as_deref(),
        Some("v0.0.0-20191202100458-e7afc7fbc510")
    );
}

#[test]
fn cli_go_sum_has_629_module_versions() {
    let tree = corpus_tree(CLI);
    let sum = parse_go_sum("go.sum", &tree.read("go.sum").expect("readable")).expect("parses");
    assert_eq!(sum.entries.len(), 697);
    let pairs: std::collections::BTreeSet<_> =
        sum.entries.iter().map(|e| (&e.path, &e.version)).collect();
    assert_eq!(pairs.len(), 629);
    assert_eq!(sum.entries.iter().filter(|e| !e.go_mod_only).count(), 68);
}

#[test]
fn replace_exclude_quotes_blocks_and_comments() {
    let text = r#"// a header comment
module "example.com/m" // trailing

go 1.21
toolchain go1.21.3

require example.com/single v1.0.0
require (
	"example.com/quoted" v2.0.0+incompatible // indirect; reason
	example.com/local v1.1.0
	example.com/excluded v1.2.0
	example.com/pinned v1.3.0 // indirect
)

exclude example.com/excluded v1.2.0
replace (
	example.com/local => ../local
	example.com/pinned v1.3.0 => example.com/fork v1.3.1
	example.com/pinned => example.com/other v9.0.0
)
retract [v0.1.0, v0.2.0] // broken
retract (
	v0.0.1
)
"#;
    let go_mod = parse_go_mod("sub/go.mod", text).expect("parses");
    assert_eq!(go_mod.module.as_deref(), Some("example.com/m"));
    assert_eq!(go_mod.go_version.as_deref(), Some("1.21"));
    assert_eq!(go_mod.requires.len(), 5);
    let components = go_mod.components("sub/go.mod", &GoSum::default());
    assert_eq!(
        components.len(),
        4,
        "the excluded version is not a component"
    );
    let by_name = |n: &str| components.iter().find(|c| c.name == n).expect(n);
    let quoted = by_name("example.com/quoted");
    assert!(!quoted.direct);
    assert_eq!(
        (quoted.version.as_deref(), quoted.line),
        (Some("v2.0.0+incompatible"), 9)
    );
    let local = by_name("example.com/local");
    assert_eq!(local.source, Source::Path);
    assert_eq!(local.version.as_deref(), Some("v1.1.0"));
    assert_eq!(
        local.extra.get("replace").map(String::as_str),
        Some("../local")
    );
    // The version-specific replacement wins over the one for every version.
    let pinned = by_name("example.com/pinned");
    assert_eq!(pinned.version.as_deref(), Some("v1.3.1"));
    assert_eq!(pinned.file, "sub/go.mod");
    assert!(by_name("example.com/single").direct);
}

#[test]
fn malformed_go_mod_gives_line_and_column() {
    let err = parse_go_mod(
        "go.mod",
        "module m\n\nrequire (\n\tgood v1.0.0\n\tbad 1.0.0\n)\n",
    )
    .expect_err("bad version");
    assert_eq!((err.line, err.column), (5, 6));
    assert!(
        err.message.contains("not a module version"),
        "{}",
        err.message
    );
    let err =
        parse_go_mod("go.mod", "module m\nrequire (\n\tx v1.0.0\n").expect_err("unclosed block");
    assert_eq!(err.line, 2);
    let err = parse_go_mod("go.mod", "module m\nfrobnicate x\n").expect_err("unknown directive");
    assert_eq!((err.line, err.column), (2, 1));
    let err = parse_go_mod("go.mod", "module m\nreplace a => b\n")
        .expect_err("replacement without version");
    assert_eq!((err.line, err.column), (2, 14));
    let err = parse_go_mod("go.mod", "module \"m\n").expect_err("unterminated quote");
    assert_eq!((err.line, err.column), (1, 8));
    let err = parse_go_mod("go.mod", "module m\nmodule n\n").expect_err("repeated module");
    assert_eq!(err.line, 2);
}

#[test]
fn malformed_go_sum_gives_line_and_column() {
    let err = parse_go_sum("go.sum", "a v1.0.0 h1:abc=\n\nb v1.0.0\n").expect_err("two fields");
    assert_eq!((err.line, err.column), (3, 1));
    let err =
        parse_go_sum("go.sum", "a v1.0.0 h1:abc=\nb 1.0.0 h1:abc=\n").expect_err("bad version");
    assert_eq!((err.line, err.column), (2, 3));
    let err = parse_go_sum("go.sum", "a v1.0.0/go.mod nohash\n").expect_err("bad hash");
    assert_eq!((err.line, err.column), (1, 17));
}

#[test]
fn a_broken_go_sum_is_reported_and_the_stack_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("go.mod"),
        "module m\nrequire x.org/y v1.0.0\n",
    )
    .expect("write");
    std::fs::write(dir.path().join("go.sum"), "x.org/y v1.0.0\n").expect("write");
    let scanned = scan(&Tree::walk(dir.path()).expect("walk"));
    assert_eq!(scanned.errors.len(), 1);
    assert_eq!(scanned.errors[0].file, "go.sum");
    assert_eq!(scanned.stacks.len(), 1);
    assert_eq!(scanned.stacks[0].files, vec!["go.mod".to_string()]);
    assert_eq!(scanned.stacks[0].components.len(), 1);
}

#[test]
fn no_panic_on_truncated_or_mangled_corpus_files() {
    let tree = corpus_tree(CLI);
    let mut texts: Vec<String> = ["go.mod", "go.sum"]
        .iter()
        .map(|f| tree.read(f).expect("readable"))
        .collect();
    texts.push("module \u{e9}\nrequire (\n\t\"\u{1F600}\\\" v1\n)\nreplace ( => )\n".into());
    texts.push("require `raw v1.0.0\nreplace x => y v1 =>\n".into());
    for text in &texts {
        let mut cut = 0;
        while cut <= text.len() {
            if let Some(prefix) = text.get(..cut) {
                let _ = parse_go_mod("go.mod", prefix)
                    .map(|m| m.components("go.mod", &GoSum::default()));
                let _ = parse_go_sum("go.sum", prefix);
            }
            // Every 101 bytes at first, then coarser through the 60 KB go.sum to stay fast.
            cut += if cut < 8192 { 101 } else { 997 };
        }
        for mangled in [
            text.replace(' ', "\""),
            text.replace('v', "("),
            text.replace('\n', " // indirect\n"),
            text.replace('/', "=>"),
        ] {
            let _ = parse_go_mod("go.mod", &mangled);
            let _ = parse_go_sum("go.sum", &mangled);
        }
    }
}
