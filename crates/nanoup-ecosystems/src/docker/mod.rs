//! The docker ecosystem: the base images named by Dockerfiles.
//!
//! Every file called `Dockerfile`, `*.Dockerfile`, `Dockerfile.*`, `Dockerfile-*` or `Dockerfile_*`
//! (and the same with Podman's `Containerfile`, any letter case) is read;
//! the Dockerfiles of one directory make one stack. Each `FROM` that names an image (not
//! `scratch`, not an earlier stage) is a direct component: the image reference without tag or
//! digest as written is the name, the tag (else the digest, else `latest`) the version. Images
//! the final stage is built on are `prod`; images of the other stages (builders) are `build`.
//! `ARG`s declared before the first `FROM` are substituted with their defaults; an image that
//! depends on an `ARG` without default is reported unresolved.

use std::collections::{BTreeMap, BTreeSet};

use nanoup_core::{Component, Ecosystem, LineIndex, ParseError, Scope, Stack};

use crate::{NamedParser, Scanned, Tree, dir_of, file_name, relative_to};
pub mod edit;
pub mod registry;

/// The pure parsers of this ecosystem's file formats, for fuzzing and benchmarks.
pub const PARSERS: &[NamedParser] = &[NamedParser {
    name: "dockerfile",
    file_name: "Dockerfile",
    parse: parse_dockerfile_count,
}];

/// Finds every Dockerfile in `tree` and returns one stack per directory holding Dockerfiles.
pub fn scan(tree: &Tree) -> Scanned {
    let mut by_dir: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for file in tree.files().filter(|f| is_dockerfile_name(file_name(f))) {
        by_dir.entry(dir_of(file)).or_default().push(file);
    }
    let mut scanned = Scanned::default();
    for (dir, files) in by_dir {
        let mut read = Vec::new();
        let mut components = Vec::new();
        for file in files {
            let parsed = tree
                .read(file)
                .and_then(|text| parse_dockerfile(file, &text));
            match parsed {
                Ok(dockerfile) => {
                    read.push(relative_to(dir, file).unwrap_or(file).to_string());
                    components.extend(dockerfile.components(file));
                }
                Err(error) => scanned.errors.push(error),
            }
        }
        if !read.is_empty() {
            scanned
                .stacks
                .push(Stack::new(dir, Ecosystem::Docker, read, components));
        }
    }
    scanned
}

/// Extensions that mark a `Dockerfile.*` name as something else (docs, ignore files, code).
const NOT_DOCKERFILE_EXTENSIONS: &[&str] = &[
    "dockerignore",
    "md",
    "txt",
    "go",
    "rs",
    "py",
    "js",
    "ts",
    "json",
    "yml",
    "yaml",
    "toml",
    "sh",
    "orig",
    "rej",
    "bak",
];

/// Whether a file name is a Dockerfile: `Dockerfile` or `Containerfile` (Podman's name), alone,
/// with a suffix (`Dockerfile.prod`, `Dockerfile-k8s`, `Dockerfile_dev`) or as an extension
/// (`api.Dockerfile`), in any letter case, except `Dockerfile.<ext>` names whose extension marks
/// another kind of file (`Dockerfile.dockerignore`, `dockerfile.go`, `Dockerfile.md`...).
pub fn is_dockerfile_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    ["dockerfile", "containerfile"].iter().any(|base| {
        if lower == *base {
            return true;
        }
        if let Some(ext) = lower.strip_prefix(&format!("{base}.")) {
            return !ext.is_empty() && !NOT_DOCKERFILE_EXTENSIONS.contains(&ext);
        }
        if let Some(suffix) = lower
            .strip_prefix(&format!("{base}-"))
            .or_else(|| lower.strip_prefix(&format!("{base}_")))
        {
            return !suffix.is_empty() && !suffix.contains('.');
        }
        lower.len() > base.len() + 1 && lower.ends_with(&format!(".{base}"))
    })
}

/// What one `FROM` builds on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Base {
    /// A container image from a registry.
    Image {
        /// The reference without tag and digest, as written (after `ARG` substitution).
        name: String,
        /// The tag, when the reference has one.
        tag: Option<String>,
        /// The digest (`sha256:...`), when the reference pins one.
        digest: Option<String>,
    },
    /// An earlier stage of the same Dockerfile, by index.
    Stage(usize),
    /// `scratch`, the empty image.
    Scratch,
    /// An image reference that depends on a value unknown until build time.
    Unresolved {
        /// Why the reference cannot be determined from the file alone.
        reason: String,
    },
}

/// One build stage: a `FROM` instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildStage {
    /// The 1-based line of the `FROM` instruction.
    pub line: u32,
    /// The image reference as written, before `ARG` substitution.
    pub written: String,
    /// What the stage builds on.
    pub base: Base,
    /// The stage name given with `AS`, lowercased as Docker does.
    pub alias: Option<String>,
    /// The `--platform` flag, substituted when its variables have defaults.
    pub platform: Option<String>,
}

/// A parsed Dockerfile: its build stages in order (the last one is the image that is shipped).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dockerfile {
    /// Every `FROM`, in file order.
    pub stages: Vec<BuildStage>,
}

impl Dockerfile {
    /// The indices of the stages the final stage is built on (itself included).
    fn final_chain(&self) -> BTreeSet<usize> {
        let mut chain = BTreeSet::new();
        let mut current = self.stages.len().checked_sub(1);
        while let Some(index) = current {
            if !chain.insert(index) {
                break;
            }
            current = match self.stages.get(index).map(|s| &s.base) {
                Some(Base::Stage(parent)) => Some(*parent),
                _ => None,
            };
        }
        chain
    }

    /// The images this Dockerfile builds on, as components declared in `file` (relative to the
    /// scan root). Images under the final stage are `prod`, the others `build`.
    pub fn components(&self, file: &str) -> Vec<Component> {
        let shipped = self.final_chain();
        let mut components = Vec::new();
        for (index, stage) in self.stages.iter().enumerate() {
            let mut component = match &stage.base {
                Base::Stage(_) | Base::Scratch => continue,
                Base::Image { name, tag, digest } => {
                    let version = tag
                        .clone()
                        .or_else(|| digest.clone())
                        .unwrap_or_else(|| "latest".into());
                    let mut c =
                        Component::new(Ecosystem::Docker, name.clone(), version, file, stage.line);
                    if let Some(digest) = digest {
                        c.extra.insert("digest".into(), digest.clone());
                    }
                    if stage.written.contains('$') {
                        c.requirement = Some(stage.written.clone());
                    }
                    c
                }
                Base::Unresolved { reason } => Component::unresolved(
                    Ecosystem::Docker,
                    image_name_of(&stage.written),
                    Some(stage.written.clone()),
                    reason.clone(),
                    file,
                    stage.line,
                ),
            };
            component.direct = true;
            component.scope = if shipped.contains(&index) {
                Scope::Prod
            } else {
                Scope::Build
            };
            if let Some(platform) = &stage.platform {
                component.extra.insert("platform".into(), platform.clone());
            }
            if let Some(alias) = &stage.alias {
                component.extra.insert("stage".into(), alias.clone());
            }
            components.push(component);
        }
        components
    }
}

/// [`parse_dockerfile`] for the fuzz registry: the number of `FROM` instructions.
fn parse_dockerfile_count(file: &str, text: &str) -> Result<usize, ParseError> {
    parse_dockerfile(file, text).map(|d| d.stages.len())
}

/// Global build arguments: the value of each, or why it has none known before the build.
type Vars = BTreeMap<String, Result<String, String>>;

/// The longest value substitution builds; longer means a self-amplifying chain of ARGs.
const MAX_SUBSTITUTED_LEN: usize = 4096;

/// The automatic platform build arguments BuildKit defines in the global scope.
const PLATFORM_ARGS: &[&str] = &[
    "TARGETPLATFORM",
    "TARGETOS",
    "TARGETARCH",
    "TARGETVARIANT",
    "BUILDPLATFORM",
    "BUILDOS",
    "BUILDARCH",
    "BUILDVARIANT",
];

/// The instructions of the Dockerfile language; anything else is an error.
const INSTRUCTIONS: &[&str] = &[
    "from",
    "run",
    "cmd",
    "label",
    "maintainer",
    "expose",
    "env",
    "add",
    "copy",
    "entrypoint",
    "volume",
    "user",
    "workdir",
    "arg",
    "onbuild",
    "stopsignal",
    "healthcheck",
    "shell",
];

/// One instruction after joining continuation lines.
struct Instruction {
    /// Byte offset of its first character.
    offset: usize,
    /// The keyword, lowercased.
    keyword: String,
    /// Byte offset of the arguments.
    args_offset: usize,
    /// The arguments, continuation lines joined with a space.
    args: String,
}

/// Reads a Dockerfile: its parser directives, instructions (with `\` or the `# escape=`
/// character continuing lines, comments, heredocs), global `ARG`s and every `FROM`.
///
/// Errors name the line of an unknown instruction, an instruction before the first `FROM`
/// other than `ARG`, a malformed `FROM`, or a file without any `FROM`.
pub fn parse_dockerfile(file: &str, text: &str) -> Result<Dockerfile, ParseError> {
    let index = LineIndex::new(text);
    let error = |offset: usize, message: String| {
        let (line, column) = index.line_column(offset);
        ParseError::new(file, line, column, message)
    };
    let instructions = split_instructions(text);
    // Global ARGs: name -> default value (None when declared without one).
    let mut globals: Vars = BTreeMap::new();
    let mut dockerfile = Dockerfile::default();
    for instruction in instructions {
        if !INSTRUCTIONS.contains(&instruction.keyword.as_str()) {
            return Err(error(
                instruction.offset,
                format!(
                    "unknown instruction `{}`; expected a Dockerfile instruction (FROM, RUN, COPY, ARG...)",
                    instruction.keyword.to_uppercase()
                ),
            ));
        }
        match instruction.keyword.as_str() {
            "arg" if dockerfile.stages.is_empty() => {
                for word in shell_words(&instruction.args) {
                    // A default may use the ARGs declared before it, as in Docker.
                    let (name, value) = match word.split_once('=') {
                        Some((name, value)) => (name.to_string(), substitute(value, &globals)),
                        None => {
                            let reason = format!(
                                "ARG {word} has no default value, so the image is only known at build time"
                            );
                            (word, Err(reason))
                        }
                    };
                    globals.insert(name, value);
                }
            }
            "from" => {
                let line = index.line(instruction.offset);
                let stage = parse_from(&instruction, &globals, &dockerfile.stages, line)
                    .map_err(|(offset, message)| error(offset, message))?;
                dockerfile.stages.push(stage);
            }
            _ if dockerfile.stages.is_empty() => {
                return Err(error(
                    instruction.offset,
                    format!(
                        "`{}` before the first FROM; expected only ARG instructions before FROM",
                        instruction.keyword.to_uppercase()
                    ),
                ));
            }
            _ => {}
        }
    }
    if dockerfile.stages.is_empty() {
        return Err(error(
            text.len(),
            "no FROM instruction; expected at least one build stage".into(),
        ));
    }
    Ok(dockerfile)
}

/// Parses `FROM [--flag=value...] image [AS name]`; errors are (byte offset, message).
fn parse_from(
    instruction: &Instruction,
    globals: &Vars,
    earlier: &[BuildStage],
    line: u32,
) -> Result<BuildStage, (usize, String)> {
    let mut words = instruction.args.split_whitespace();
    let mut platform = None;
    let mut image = None;
    for word in words.by_ref() {
        if let Some(flag) = word.strip_prefix("--") {
            if let Some(value) = flag.strip_prefix("platform=") {
                // The platform rarely matters to the inventory; keep it as written when it
                // names a variable set by the builder ($BUILDPLATFORM).
                platform = Some(substitute(value, globals).unwrap_or_else(|_| value.to_string()));
            }
            continue;
        }
        image = Some(word);
        break;
    }
    let Some(written) = image else {
        return Err((
            instruction.args_offset,
            "expected an image reference after FROM".into(),
        ));
    };
    let alias = match (words.next(), words.next(), words.next()) {
        (None, _, _) => None,
        (Some(keyword), Some(name), None) if keyword.eq_ignore_ascii_case("as") => {
            Some(name.to_ascii_lowercase())
        }
        _ => {
            return Err((
                instruction.args_offset,
                format!(
                    "expected `FROM <image> [AS <name>]`, found `FROM {}`",
                    instruction.args.trim()
                ),
            ));
        }
    };
    let base = match substitute(written, globals) {
        Err(reason) => Base::Unresolved { reason },
        Ok(reference) => classify_reference(&reference, earlier)
            .map_err(|message| (instruction.args_offset, message))?,
    };
    Ok(BuildStage {
        line,
        written: written.to_string(),
        base,
        alias,
        platform,
    })
}

/// What a substituted reference names: scratch, an earlier stage, or an image.
fn classify_reference(reference: &str, earlier: &[BuildStage]) -> Result<Base, String> {
    if reference.is_empty() {
        return Err("the image reference is empty after ARG substitution".into());
    }
    if reference == "scratch" {
        return Ok(Base::Scratch);
    }
    let lower = reference.to_ascii_lowercase();
    if let Some(stage) = earlier
        .iter()
        .rposition(|s| s.alias.as_deref() == Some(lower.as_str()))
    {
        return Ok(Base::Stage(stage));
    }
    let (before_digest, digest) = match reference.split_once('@') {
        Some((name, digest)) => (name, Some(digest.to_string())),
        None => (reference, None),
    };
    let last_slash = before_digest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match before_digest.rfind(':') {
        Some(colon) if colon >= last_slash => (
            before_digest.get(..colon).unwrap_or(before_digest),
            before_digest.get(colon + 1..).map(str::to_string),
        ),
        _ => (before_digest, None),
    };
    if name.is_empty() || tag.as_deref() == Some("") || digest.as_deref() == Some("") {
        return Err(format!(
            "`{reference}` is not an image reference; expected name[:tag][@digest]"
        ));
    }
    Ok(Base::Image {
        name: name.to_string(),
        tag,
        digest,
    })
}

/// A best-effort image name for an unresolved reference: the text before tag and digest.
fn image_name_of(written: &str) -> String {
    let before_digest = written.split('@').next().unwrap_or(written);
    let last_slash = before_digest.rfind('/').map_or(0, |i| i + 1);
    // A `:` inside `${VAR:-x}` is not a tag separator; only cut at one outside braces.
    let mut depth = 0usize;
    let mut cut = None;
    for (i, c) in before_digest.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ':' if depth == 0 && i >= last_slash => cut = Some(i),
            _ => {}
        }
    }
    match cut {
        Some(i) => before_digest.get(..i).unwrap_or(before_digest).to_string(),
        None => before_digest.to_string(),
    }
}

/// Replaces `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:+alt}` and
/// `${VAR+alt}` with the global `ARG` defaults. A variable with no value makes the whole
/// reference unknown until build time: the error says which and why.
fn substitute(word: &str, vars: &Vars) -> Result<String, String> {
    substitute_depth(word, vars, 0)
}

fn substitute_depth(word: &str, vars: &Vars, depth: usize) -> Result<String, String> {
    if depth > 8 {
        return Err("variable defaults nest too deeply".into());
    }
    let mut out = String::with_capacity(word.len());
    let mut chars = word.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\\' {
            if let Some((_, next)) = chars.next() {
                out.push(next);
            }
            continue;
        }
        if c != '$' {
            out.push(c);
            continue;
        }
        match chars.peek().map(|&(_, n)| n) {
            Some('{') => {
                let rest = word.get(i + 2..).unwrap_or("");
                let Some(close) = matching_brace(rest) else {
                    return Err(format!("unterminated `${{` in `{word}`"));
                };
                let body = rest.get(..close).unwrap_or("");
                out.push_str(&expand_braced(body, vars, depth)?);
                // Skip `{`, the body and `}`.
                let end = i + 2 + close + 1;
                while chars.peek().is_some_and(|&(j, _)| j < end) {
                    chars.next();
                }
            }
            Some(n) if n == '_' || n.is_ascii_alphabetic() => {
                let mut name = String::new();
                while let Some(&(_, n)) = chars.peek() {
                    if n == '_' || n.is_ascii_alphanumeric() {
                        name.push(n);
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push_str(&lookup(&name, vars)?);
            }
            _ => out.push('$'),
        }
    }
    if out.len() > MAX_SUBSTITUTED_LEN {
        return Err(format!(
            "`{word}` expands to more than {MAX_SUBSTITUTED_LEN} characters"
        ));
    }
    Ok(out)
}

/// The offset of the `}` closing a `${` whose body starts `rest`, counting nested braces.
fn matching_brace(rest: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in rest.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return Some(i),
            '}' => depth -= 1,
            _ => {}
        }
    }
    None
}

fn expand_braced(body: &str, vars: &Vars, depth: usize) -> Result<String, String> {
    let name_end = body
        .find(|c: char| !(c == '_' || c.is_ascii_alphanumeric()))
        .unwrap_or(body.len());
    let (name, modifier) = body.split_at(name_end);
    if name.is_empty() {
        return Err(format!("`${{{body}}}` is not a variable reference"));
    }
    let value = vars.get(name).and_then(|v| v.as_ref().ok()).cloned();
    let (operator, argument) = if let Some(a) = modifier.strip_prefix(":-") {
        (":-", a)
    } else if let Some(a) = modifier.strip_prefix(":+") {
        (":+", a)
    } else if let Some(a) = modifier.strip_prefix('-') {
        ("-", a)
    } else if let Some(a) = modifier.strip_prefix('+') {
        ("+", a)
    } else if modifier.is_empty() {
        return lookup(name, vars);
    } else {
        return Err(format!("unsupported substitution `${{{body}}}`"));
    };
    match (operator, value) {
        (":-", Some(v)) if !v.is_empty() => Ok(v),
        ("-", Some(v)) => Ok(v),
        (":-" | "-", _) => substitute_depth(argument, vars, depth + 1),
        (":+", Some(v)) if !v.is_empty() => substitute_depth(argument, vars, depth + 1),
        ("+", Some(_)) => substitute_depth(argument, vars, depth + 1),
        _ => Ok(String::new()),
    }
}

fn lookup(name: &str, vars: &Vars) -> Result<String, String> {
    match vars.get(name) {
        Some(Ok(value)) => Ok(value.clone()),
        Some(Err(reason)) => Err(reason.clone()),
        None if PLATFORM_ARGS.contains(&name) => Err(format!(
            "{name} is set by the builder for the target platform, so the image is only known at build time"
        )),
        None => Err(format!(
            "${name} is not declared by an ARG before the first FROM, so the image is only known at build time"
        )),
    }
}

/// Splits `ARG` arguments into words, removing quotes (`A="x y" B=1` gives `A=x y`, `B=1`).
fn shell_words(args: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = args.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"'), '\\') => {
                if let Some(next) = chars.next() {
                    current.push(next);
                }
            }
            (Some(_), c) => current.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, '\\') => {
                if let Some(next) = chars.next() {
                    current.push(next);
                }
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            (None, c) => {
                current.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(current);
    }
    words
}

/// The physical lines of `text` with their byte offsets, without line terminators.
fn physical_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut offset = 0;
    text.split_inclusive('\n').map(move |raw| {
        let start = offset;
        offset += raw.len();
        let line = raw.strip_suffix('\n').unwrap_or(raw);
        (start, line.strip_suffix('\r').unwrap_or(line))
    })
}

/// Joins continuation lines into instructions, honouring the `escape` parser directive,
/// dropping comments and the bodies of heredocs (`RUN <<EOF ... EOF`).
fn split_instructions(text: &str) -> Vec<Instruction> {
    let mut escape = '\\';
    let mut in_directives = true;
    let mut instructions = Vec::new();
    let mut current: Option<Instruction> = None;
    let mut heredoc_ends: Vec<(String, bool)> = Vec::new();
    for (offset, line) in physical_lines(text) {
        if let Some((terminator, strip_tabs)) = heredoc_ends.first() {
            let candidate = if *strip_tabs {
                line.trim_start_matches('\t')
            } else {
                line
            };
            if candidate == terminator {
                heredoc_ends.remove(0);
            }
            continue;
        }
        let trimmed = line.trim_start();
        if in_directives {
            if let Some(directive) = trimmed.strip_prefix('#')
                && let Some((key, value)) = directive.split_once('=')
            {
                let key = key.trim().to_ascii_lowercase();
                if !key.is_empty() && !key.contains(char::is_whitespace) {
                    if key == "escape" && value.trim() == "`" {
                        escape = '`';
                    }
                    continue;
                }
            }
            in_directives = false;
        }
        if trimmed.starts_with('#') {
            continue;
        }
        let continues = line.trim_end().ends_with(escape);
        let content = if continues {
            let end = line.trim_end();
            end.get(..end.len() - escape.len_utf8()).unwrap_or(end)
        } else {
            line
        };
        match current.as_mut() {
            Some(instruction) => {
                if !content.trim().is_empty() {
                    instruction.args.push(' ');
                    instruction.args.push_str(content.trim());
                }
            }
            None => {
                if trimmed.is_empty() {
                    continue;
                }
                let lead = line.len() - trimmed.len();
                let content_trimmed = content.trim_start();
                let keyword_len = content_trimmed
                    .find(char::is_whitespace)
                    .unwrap_or(content_trimmed.len());
                let keyword = content_trimmed.get(..keyword_len).unwrap_or("");
                let after_keyword = content_trimmed.get(keyword_len..).unwrap_or("");
                let args = after_keyword.trim();
                let args_gap = after_keyword.len() - after_keyword.trim_start().len();
                current = Some(Instruction {
                    offset: offset + lead,
                    keyword: keyword.to_ascii_lowercase(),
                    args_offset: offset + lead + keyword_len + args_gap,
                    args: args.to_string(),
                });
            }
        }
        if !continues && let Some(instruction) = current.take() {
            if matches!(instruction.keyword.as_str(), "run" | "copy" | "add") {
                heredoc_ends = heredoc_terminators(&instruction.args);
            }
            instructions.push(instruction);
        }
    }
    if let Some(instruction) = current.take() {
        instructions.push(instruction);
    }
    instructions
}

/// The terminators of the heredocs an instruction opens (`<<EOF`, `<<-"EOT"`), in order,
/// each with whether leading tabs are stripped before comparing.
fn heredoc_terminators(args: &str) -> Vec<(String, bool)> {
    let mut found = Vec::new();
    let mut rest = args;
    while let Some(at) = rest.find("<<") {
        let after = rest.get(at + 2..).unwrap_or("");
        let (strip_tabs, after) = match after.strip_prefix('-') {
            Some(a) => (true, a),
            None => (false, after),
        };
        let unquoted = after.trim_start_matches(['"', '\'']);
        let word_len = unquoted
            .find(|c: char| !(c == '_' || c.is_ascii_alphanumeric()))
            .unwrap_or(unquoted.len());
        let word = unquoted.get(..word_len).unwrap_or("");
        if !word.is_empty()
            && word
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        {
            found.push((word.to_string(), strip_tabs));
        }
        rest = unquoted.get(word_len..).unwrap_or("");
    }
    found
}

#[cfg(test)]
mod tests;
