//! Dependency files of ecosystems nanoup does not read: named in the output, so that a stack
//! nanoup cannot see is never mistaken for a stack without dependencies.

use nanoup_core::UnreadFile;

use crate::{Tree, file_name};

/// File names (exact, any letter case for the listed spelling) and what they are.
const UNREAD: &[(&str, &str)] = &[
    ("Gemfile.lock", "Ruby (Bundler) lockfile"),
    ("composer.lock", "PHP (Composer) lockfile"),
    ("packages.lock.json", "NuGet lockfile"),
    ("build.gradle", "Gradle build"),
    ("build.gradle.kts", "Gradle build"),
    ("gradle.lockfile", "Gradle lockfile"),
    ("bun.lockb", "bun binary lockfile"),
    ("deno.lock", "Deno lockfile"),
    ("Podfile.lock", "CocoaPods lockfile"),
    ("Package.resolved", "Swift Package Manager lockfile"),
    ("pubspec.lock", "Dart (pub) lockfile"),
    ("mix.lock", "Elixir (Mix) lockfile"),
    ("rebar.lock", "Erlang (rebar3) lockfile"),
    ("pdm.lock", "PDM lockfile"),
    ("conan.lock", "Conan lockfile"),
    ("vcpkg.json", "vcpkg manifest"),
    ("stack.yaml.lock", "Haskell (Stack) lockfile"),
    ("cabal.project.freeze", "Haskell (Cabal) freeze file"),
    ("Manifest.toml", "Julia manifest"),
    ("renv.lock", "R (renv) lockfile"),
];

/// Every file of `tree` that is a dependency file nanoup does not read, sorted by path.
pub fn find(tree: &Tree) -> Vec<UnreadFile> {
    let mut out: Vec<UnreadFile> = tree
        .files()
        .filter_map(|rel| {
            let name = file_name(rel);
            UNREAD
                .iter()
                .find(|(known, _)| name.eq_ignore_ascii_case(known))
                .map(|(_, kind)| UnreadFile {
                    file: rel.to_string(),
                    kind: (*kind).to_string(),
                })
        })
        .collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unread_dependency_files_are_named() {
        let tree = Tree::from_files(
            std::path::Path::new("/nowhere"),
            [
                "Gemfile.lock",
                "api/composer.lock",
                "android/app/build.gradle.kts",
                "web/bun.lockb",
                "Cargo.lock",
                "package-lock.json",
                "docs/Gemfile.lock.md",
            ]
            .map(str::to_string),
        );
        let found: Vec<(String, String)> =
            find(&tree).into_iter().map(|u| (u.file, u.kind)).collect();
        assert_eq!(
            found,
            [
                (
                    "Gemfile.lock".to_string(),
                    "Ruby (Bundler) lockfile".to_string()
                ),
                ("android/app/build.gradle.kts".into(), "Gradle build".into()),
                ("api/composer.lock".into(), "PHP (Composer) lockfile".into()),
                ("web/bun.lockb".into(), "bun binary lockfile".into()),
            ]
        );
    }
}
