//! Tests of the in-place go.mod editor on cli/cli's real go.mod and on small hand-written ones.

use super::*;
use crate::testutil::{change_of, corpus};

fn cli_go_mod() -> String {
    std::fs::read_to_string(corpus().join("go/cli__cli__e2973453b5/go.mod")).unwrap()
}

/// The (1-based line, old, new) of every line that differs; the texts must have as many lines.
fn differing_lines<'a>(old: &'a str, new: &'a str) -> Vec<(usize, &'a str, &'a str)> {
    let (old, new): (Vec<&str>, Vec<&str>) = (
        old.split_inclusive('\n').collect(),
        new.split_inclusive('\n').collect(),
    );
    assert_eq!(old.len(), new.len(), "the edit added or removed lines");
    old.iter()
        .zip(&new)
        .enumerate()
        .filter(|(_, (a, b))| a != b)
        .map(|(i, (a, b))| (i + 1, *a, *b))
        .collect()
}

#[test]
fn cli_block_requirement_changes_only_its_version() {
    let old = cli_go_mod();
    let edit = edit_require("go.mod", &old, "github.com/spf13/cobra", "v1.2.1", "v1.3.0").unwrap();
    assert_eq!(edit.line, 29);
    assert_eq!(
        differing_lines(&old, &edit.new_text),
        vec![(
            29,
            "\tgithub.com/spf13/cobra v1.2.1\n",
            "\tgithub.com/spf13/cobra v1.3.0\n"
        )]
    );
    assert_eq!(edit.new_text.len(), old.len());
    assert_eq!(
        changed_entries("go.mod", &old, &edit.new_text).unwrap(),
        vec![change_of(
            "github.com/spf13/cobra",
            Some("v1.2.1"),
            Some("v1.3.0")
        )]
    );
}

#[test]
fn cli_indirect_comment_is_kept() {
    let old = cli_go_mod();
    let edit = edit_require(
        "go.mod",
        &old,
        "github.com/stretchr/objx",
        "v0.1.1",
        "v0.5.2",
    )
    .unwrap();
    assert_eq!(
        differing_lines(&old, &edit.new_text),
        vec![(
            31,
            "\tgithub.com/stretchr/objx v0.1.1 // indirect\n",
            "\tgithub.com/stretchr/objx v0.5.2 // indirect\n"
        )]
    );
    let parsed = parse_go_mod("go.mod", &edit.new_text).unwrap();
    let objx = parsed
        .requires
        .iter()
        .find(|r| r.path == "github.com/stretchr/objx")
        .unwrap();
    assert!(objx.indirect);
}

#[test]
fn cli_pseudo_version_moves_to_a_release() {
    let old = cli_go_mod();
    let edit = edit_require(
        "go.mod",
        &old,
        "golang.org/x/crypto",
        "v0.0.0-20201016220609-9e8e0b390897",
        "v0.1.0",
    )
    .unwrap();
    assert_eq!(
        changed_entries("go.mod", &old, &edit.new_text).unwrap(),
        vec![change_of(
            "golang.org/x/crypto",
            Some("v0.0.0-20201016220609-9e8e0b390897"),
            Some("v0.1.0")
        )]
    );
    assert_eq!(differing_lines(&old, &edit.new_text).len(), 1);
}

#[test]
fn cli_replaced_module_is_refused_naming_the_replace_line() {
    let old = cli_go_mod();
    let error = edit_require(
        "go.mod",
        &old,
        "github.com/shurcooL/graphql",
        // The component's version, as a plan names it: the replacement's.
        "v0.0.0-20200707151639-0f7232a2bf7e",
        "v0.0.0-20220606043923-3cf50f8a0a29",
    )
    .unwrap_err();
    assert_eq!((error.file.as_str(), error.line), ("go.mod", 40));
    assert!(
        error
            .message
            .contains("is replaced by github.com/cli/shurcooL-graphql")
    );
    assert!(error.message.contains("edit the `replace` directive"));
}

#[test]
fn cli_stale_or_missing_requirement_asks_to_replan() {
    let old = cli_go_mod();
    let stale =
        edit_require("go.mod", &old, "github.com/spf13/cobra", "v1.2.0", "v1.3.0").unwrap_err();
    assert_eq!(stale.line, 29);
    assert!(
        stale
            .message
            .contains("required at v1.2.1, not v1.2.0; re-plan")
    );
    let missing = edit_require("go.mod", &old, "example.com/none", "v1.0.0", "v1.0.1").unwrap_err();
    assert!(missing.message.contains("is not required; re-plan"));
}

#[test]
fn bad_target_version_is_refused() {
    let old = cli_go_mod();
    for to in ["1.3.0", "v1.3.0 // x", "v1.3.0\n", ""] {
        let error =
            edit_require("go.mod", &old, "github.com/spf13/cobra", "v1.2.1", to).unwrap_err();
        assert!(
            error.message.contains("is not a module version"),
            "{to:?}: {error}"
        );
    }
}

#[test]
fn single_line_require_keeps_its_comment() {
    let old = "module example.com/m\n\ngo 1.21\n\nrequire golang.org/x/text v0.3.7 // indirect; for the tests\nrequire (\n\tgithub.com/pkg/errors v0.9.1\n)\n";
    let edit = edit_require("go.mod", old, "golang.org/x/text", "v0.3.7", "v0.3.8").unwrap();
    assert_eq!(edit.line, 5);
    assert_eq!(
        edit.new_text,
        old.replace("text v0.3.7 //", "text v0.3.8 //")
    );
}

#[test]
fn quoted_version_and_crlf_are_kept() {
    let old = "module example.com/m\r\n\r\nrequire (\r\n\t\"github.com/pkg/errors\" \"v0.9.0\" // pinned\r\n)\r\n";
    let edit = edit_require("go.mod", old, "github.com/pkg/errors", "v0.9.0", "v0.9.1").unwrap();
    assert_eq!(
        edit.new_text,
        "module example.com/m\r\n\r\nrequire (\r\n\t\"github.com/pkg/errors\" \"v0.9.1\" // pinned\r\n)\r\n"
    );
}

#[test]
fn excluded_target_and_duplicate_requirements_are_refused() {
    let old = "module m\n\nrequire a.example/x v1.0.0\n\nexclude a.example/x v1.0.1\n";
    let error = edit_require("go.mod", old, "a.example/x", "v1.0.0", "v1.0.1").unwrap_err();
    assert_eq!(error.line, 3);
    assert!(error.message.contains("excluded"), "{error}");

    let twice = "module m\n\nrequire a.example/x v1.0.0\nrequire a.example/x v1.0.0\n";
    let error = edit_require("go.mod", twice, "a.example/x", "v1.0.0", "v1.0.1").unwrap_err();
    assert_eq!(error.line, 4);
    assert!(error.message.contains("`go mod tidy` first"), "{error}");
}

#[test]
fn replacement_of_one_version_refuses_only_that_version() {
    let old = "module m\n\nrequire a.example/x v1.0.0\n\nreplace a.example/x v1.0.1 => ../x\n";
    // The replacement names v1.0.1: moving to it would build the directory instead.
    let error = edit_require("go.mod", old, "a.example/x", "v1.0.0", "v1.0.1").unwrap_err();
    assert_eq!(error.line, 5);
    assert!(error.message.contains("replaced by ../x"), "{error}");
    assert!(edit_require("go.mod", old, "a.example/x", "v1.0.0", "v1.0.2").is_ok());
}

#[test]
fn unparseable_go_mod_names_the_place() {
    let error = edit_require(
        "sub/go.mod",
        "module m\nrequire (\n",
        "a",
        "v1.0.0",
        "v1.0.1",
    )
    .unwrap_err();
    assert_eq!((error.file.as_str(), error.line), ("sub/go.mod", 2));
}

#[test]
fn changed_entries_sees_every_directive() {
    let old = "module m\n\ngo 1.16\n\nrequire (\n\ta.example/x v1.0.0\n\tb.example/y v1.0.0 // indirect\n)\n\nreplace c.example/z => ../z\n\nretract v0.1.0\n";
    // `go get` style rewrite: another go version, a toolchain line, an indirect mark dropped,
    // a new requirement, a replacement retargeted, the retraction gone; layout changed too.
    let new = "module m\n\ngo 1.21\n\ntoolchain go1.22.1\n\nrequire (\n\ta.example/x v1.0.0\n\tb.example/y v1.0.0\n\td.example/w v0.2.0 // indirect\n)\n\nreplace c.example/z => c.example/z v1.1.0\n";
    assert_eq!(
        changed_entries("go.mod", old, new).unwrap(),
        vec![
            change_of("b.example/y", Some("v1.0.0"), Some("v1.0.0")),
            change_of("d.example/w", None, Some("v0.2.0")),
            change_of("go.mod `go`", Some("1.16"), Some("1.21")),
            change_of(
                "go.mod `replace` c.example/z",
                Some("c.example/z => ../z"),
                Some("c.example/z => c.example/z v1.1.0")
            ),
            change_of("go.mod `retract`", Some("v0.1.0"), None),
            change_of("go.mod `toolchain`", None, Some("go1.22.1")),
        ]
    );
    // Comments and layout are not entries.
    let relaid = "module m // the module\ngo 1.16\nrequire a.example/x v1.0.0\nrequire b.example/y v1.0.0 // indirect\nreplace c.example/z => ../z\nretract (\n\tv0.1.0\n)\n";
    assert_eq!(changed_entries("go.mod", old, relaid).unwrap(), vec![]);
}
