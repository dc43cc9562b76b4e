use nanoup_core::{Scope, Source};

use super::*;
use crate::testutil::corpus_tree;

const STRUTS: &str = "maven/apache__struts__4cf9093cc5";

fn stack<'a>(scanned: &'a Scanned, path: &str) -> &'a Stack {
    scanned
        .stacks
        .iter()
        .find(|s| s.path == path)
        .unwrap_or_else(|| panic!("no stack {path}"))
}

fn component<'a>(stack: &'a Stack, name: &str) -> &'a Component {
    stack
        .components
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no {name} in {}", stack.path))
}

#[test]
fn struts_counts_per_pom() {
    // Cross-checked with python3 (xml.etree): the 197 `<dependency>` elements are 112 in the
    // root's dependencyManagement, 3 inside plugins (not components), and 82 project or
    // profile dependencies (core 38+1, showcase 23, rest 11, spring 9), each a distinct
    // groupId:artifactId in its pom. A small python resolver (root properties +
    // project.version, dependencyManagement by groupId/artifactId/type/classifier) resolves
    // every core dependency and all 112 managed versions; the other three modules have their
    // parents (struts2-apps, struts2-plugins) outside the corpus, leaving 18, 10 and 8 of
    // their dependencies without a local version.
    let scanned = scan(&corpus_tree(STRUTS));
    assert!(scanned.errors.is_empty(), "{:?}", scanned.errors);
    assert_eq!(scanned.stacks.len(), 5);
    let expect = [
        (".", 112, 0, 0),
        ("core", 39, 39, 0),
        ("apps/showcase", 23, 23, 18),
        ("plugins/rest", 11, 11, 10),
        ("plugins/spring", 9, 9, 8),
    ];
    for (path, total, direct, unresolved) in expect {
        let s = stack(&scanned, path);
        assert_eq!(
            (s.components.len(), s.direct_count(), s.unresolved_count()),
            (total, direct, unresolved),
            "{path}"
        );
    }
    assert_eq!(
        stack(&scanned, "core").files,
        vec!["../pom.xml".to_string(), "pom.xml".to_string()]
    );
    assert_eq!(
        stack(&scanned, "plugins/rest").files,
        vec!["pom.xml".to_string()]
    );
}

#[test]
fn struts_properties_resolve_through_the_parent() {
    let scanned = scan(&corpus_tree(STRUTS));
    let core = stack(&scanned, "core");
    // spring-core has no <version>: root dependencyManagement says ${spring.platformVersion}.
    let spring = component(core, "org.springframework:spring-core");
    assert_eq!(spring.version.as_deref(), Some("4.3.26.RELEASE"));
    assert_eq!(
        (spring.scope, spring.direct, spring.line),
        (Scope::Optional, true, 266)
    );
    assert_eq!(spring.file, "core/pom.xml");
    assert_eq!(
        spring.extra.get("version_from").map(String::as_str),
        Some("pom.xml:898")
    );
    assert_eq!(
        spring.purl,
        "pkg:maven/org.springframework/spring-core@4.3.26.RELEASE"
    );
    // log4j-api writes ${log4j2.version}, a property of the parent.
    let log4j = component(core, "org.apache.logging.log4j:log4j-api");
    assert_eq!(log4j.version.as_deref(), Some("2.12.1"));
    assert_eq!(log4j.requirement.as_deref(), Some("${log4j2.version}"));
    assert_eq!(log4j.scope, Scope::Prod);
    assert_eq!(
        component(core, "org.apache.logging.log4j:log4j-core").scope,
        Scope::Dev
    );
    // ognl is managed as ${ognl.version}; servlet-api is provided (build).
    assert_eq!(
        component(core, "ognl:ognl").version.as_deref(),
        Some("3.1.28")
    );
    assert_eq!(
        component(core, "javax.servlet:servlet-api").scope,
        Scope::Build
    );
    // The profile dependency: system scope, a local jar.
    let tools = component(core, "com.sun:tools");
    assert_eq!((tools.scope, tools.source), (Scope::Build, Source::Path));
    assert_eq!(
        tools.extra.get("profile").map(String::as_str),
        Some("default-tools.jar")
    );

    let root = stack(&scanned, ".");
    let jackson = component(root, "com.fasterxml.jackson.core:jackson-databind");
    assert_eq!(jackson.version.as_deref(), Some("2.10.3"));
    assert!(!jackson.direct);
    assert_eq!(
        jackson.extra.get("managed").map(String::as_str),
        Some("true")
    );
    // ${project.version} in the root's own dependencyManagement.
    assert_eq!(
        component(root, "org.apache.struts:struts2-core")
            .version
            .as_deref(),
        Some("2.5.26")
    );

    // plugins/rest: parent struts2-plugins (plugins/pom.xml) is not in the corpus.
    let rest = stack(&scanned, "plugins/rest");
    let jackson = component(rest, "com.fasterxml.jackson.core:jackson-core");
    assert_eq!(jackson.version, None);
    let reason = jackson.unresolved.as_deref().unwrap_or("");
    assert!(
        reason.contains("org.apache.struts:struts2-plugins:2.5.26 is not in the repository"),
        "{reason}"
    );
    let servlet = component(rest, "javax.servlet:javax.servlet-api");
    assert_eq!(
        (servlet.version.as_deref(), servlet.scope),
        (Some("3.1.0"), Scope::Dev)
    );
    let showcase = stack(&scanned, "apps/showcase");
    let log4j = component(showcase, "org.apache.logging.log4j:log4j-core");
    assert!(
        log4j
            .unresolved
            .as_deref()
            .is_some_and(|r| r.contains("${log4j2.version}"))
    );
    assert_eq!(log4j.requirement.as_deref(), Some("${log4j2.version}"));
}

fn tree_of(files: &[(&str, &str)]) -> (tempfile::TempDir, Tree) {
    let dir = tempfile::tempdir().expect("tempdir");
    for (path, text) in files {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(full, text).expect("write");
    }
    let tree = Tree::walk(dir.path()).expect("walk");
    (dir, tree)
}

const PARENT: &str = r#"<project xmlns="http://maven.apache.org/POM/4.0.0">
  <groupId>g</groupId><artifactId>parent</artifactId><version>1.0</version>
  <properties>
    <a>${b}</a><b>${a}</b>
    <lib.version>${base}.1</lib.version><base>2</base>
    <bom.version>5</bom.version>
  </properties>
  <dependencyManagement><dependencies>
    <dependency><groupId>x</groupId><artifactId>lib</artifactId><version>${lib.version}</version><scope>test</scope></dependency>
    <dependency><groupId>x</groupId><artifactId>lib</artifactId><classifier>tests</classifier><version>9</version></dependency>
    <dependency><groupId>g</groupId><artifactId>bom</artifactId><version>${bom.version}</version><type>pom</type><scope>import</scope></dependency>
    <dependency><groupId>ext</groupId><artifactId>bom</artifactId><version>1</version><type>pom</type><scope>import</scope></dependency>
  </dependencies></dependencyManagement>
</project>"#;

const BOM: &str = r#"<project><groupId>g</groupId><artifactId>bom</artifactId><version>5</version>
  <dependencyManagement><dependencies>
    <dependency><groupId>y</groupId><artifactId>from-bom</artifactId><version>${project.version}.0</version></dependency>
  </dependencies></dependencyManagement></project>"#;

const CHILD: &str = r#"<project>
  <parent><groupId>g</groupId><artifactId>parent</artifactId><version>1.0</version><relativePath>../parent</relativePath></parent>
  <artifactId>child</artifactId>
  <dependencies>
    <dependency><groupId>x</groupId><artifactId>lib</artifactId></dependency>
    <dependency><groupId>x</groupId><artifactId>lib</artifactId><classifier>tests</classifier></dependency>
    <dependency><groupId>y</groupId><artifactId>from-bom</artifactId></dependency>
    <dependency><groupId>z</groupId><artifactId>cycle</artifactId><version>${a}</version></dependency>
    <dependency><groupId>z</groupId><artifactId>self</artifactId><version>${project.parent.version}-${pom.version}</version></dependency>
    <dependency><groupId>z</groupId><artifactId>range</artifactId><version>[1.0,2.0)</version></dependency>
    <dependency><groupId>z</groupId><artifactId>nowhere</artifactId></dependency>
    <dependency><groupId>${project.groupId}</groupId><artifactId>sibling</artifactId><version>${project.version}</version><optional>true</optional></dependency>
  </dependencies>
  <build><plugins><plugin><groupId>p</groupId><artifactId>plugin</artifactId><version>1</version>
    <dependencies><dependency><groupId>p</groupId><artifactId>plugin-dep</artifactId><version>1</version></dependency></dependencies>
  </plugin></plugins></build>
</project>"#;

#[test]
fn parents_boms_cycles_and_ranges() {
    let (_dir, tree) = tree_of(&[
        ("parent/pom.xml", PARENT),
        ("child/pom.xml", CHILD),
        ("boms/pom.xml", BOM),
    ]);
    let scanned = scan(&tree);
    assert!(scanned.errors.is_empty(), "{:?}", scanned.errors);
    let child = stack(&scanned, "child");
    assert_eq!(
        child.files,
        vec![
            "../boms/pom.xml".to_string(),
            "../parent/pom.xml".to_string(),
            "pom.xml".to_string()
        ]
    );
    assert_eq!(child.components.len(), 8, "plugins are not components");
    let by = |name: &str, classifier: Option<&str>| {
        child
            .components
            .iter()
            .find(|c| c.name == name && c.extra.get("classifier").map(String::as_str) == classifier)
            .unwrap_or_else(|| panic!("{name}"))
    };
    let lib = by("x:lib", None);
    // Recursive property, and the managed scope applies.
    assert_eq!(
        (lib.version.as_deref(), lib.scope),
        (Some("2.1"), Scope::Dev)
    );
    assert_eq!(by("x:lib", Some("tests")).version.as_deref(), Some("9"));
    // From an imported BOM in the repository, interpolated in the BOM's own context.
    assert_eq!(by("y:from-bom", None).version.as_deref(), Some("5.0"));
    let cycle = by("z:cycle", None);
    assert!(
        cycle
            .unresolved
            .as_deref()
            .is_some_and(|r| r.contains("refers to itself")),
        "{cycle:?}"
    );
    assert_eq!(by("z:self", None).version.as_deref(), Some("1.0-1.0"));
    assert!(
        by("z:range", None)
            .unresolved
            .as_deref()
            .is_some_and(|r| r.contains("range"))
    );
    let nowhere = by("z:nowhere", None);
    assert!(
        nowhere
            .unresolved
            .as_deref()
            .is_some_and(|r| r.contains("ext:bom:1")),
        "{:?}",
        nowhere.unresolved
    );
    let sibling = by("g:sibling", None);
    assert_eq!(
        (sibling.version.as_deref(), sibling.scope),
        (Some("1.0"), Scope::Optional)
    );
}

#[test]
fn a_parent_is_found_by_coordinates_when_not_at_its_relative_path() {
    let child = CHILD.replace("<relativePath>../parent</relativePath>", "");
    let (_dir, tree) = tree_of(&[
        ("elsewhere/parent/pom.xml", PARENT),
        ("child/pom.xml", &child),
        ("boms/pom.xml", BOM),
    ]);
    let scanned = scan(&tree);
    let child = stack(&scanned, "child");
    assert_eq!(
        component(child, "g:sibling").version.as_deref(),
        Some("1.0")
    );
    assert!(
        child
            .files
            .contains(&"../elsewhere/parent/pom.xml".to_string())
    );
}

#[test]
fn parent_cycles_do_not_hang() {
    let a = r#"<project><parent><groupId>g</groupId><artifactId>b</artifactId><relativePath>../b</relativePath></parent><artifactId>a</artifactId>
      <dependencies><dependency><groupId>q</groupId><artifactId>r</artifactId></dependency></dependencies></project>"#;
    let b = r#"<project><parent><groupId>g</groupId><artifactId>a</artifactId><relativePath>../a</relativePath></parent><artifactId>b</artifactId></project>"#;
    let (_dir, tree) = tree_of(&[("a/pom.xml", a), ("b/pom.xml", b)]);
    let scanned = scan(&tree);
    let a = stack(&scanned, "a");
    assert_eq!(a.unresolved_count(), 1);
}

#[test]
fn property_bombs_are_unresolved_not_hangs() {
    let mut pom = String::from("<project><properties><p20></p20>");
    for i in 0..20 {
        pom.push_str(&format!(
            "<p{i}>{}</p{i}>",
            format!("${{p{}}}", i + 1).repeat(10)
        ));
    }
    pom.push_str("<q>${r}${r}${r}${r}${r}${r}${r}${r}</q><r>${s}${s}${s}${s}${s}${s}${s}${s}</r><s>0123456789</s>");
    pom.push_str("</properties><dependencies>");
    for (artifact, version) in [("a", "${p0}"), ("b", "${q}")] {
        pom.push_str(&format!(
            "<dependency><groupId>g</groupId><artifactId>{artifact}</artifactId><version>{version}</version></dependency>"
        ));
    }
    pom.push_str("</dependencies></project>");
    let repository = Repository {
        poms: BTreeMap::from([(
            "pom.xml".to_string(),
            parse_pom("pom.xml", &pom).expect("parses"),
        )]),
    };
    let (components, _) = repository.components("pom.xml");
    assert!(
        components[0]
            .unresolved
            .as_deref()
            .is_some_and(|r| r.contains("look-ups")),
        "{:?}",
        components[0]
    );
    // 8 * 8 * 10 = 640 characters is fine.
    assert_eq!(components[1].version.as_ref().map(String::len), Some(640));
}

#[test]
fn malformed_poms_give_errors_with_lines() {
    let err = parse_pom(
        "pom.xml",
        "<project>\n  <dependencies>\n    <dependency>\n  </dependencies>\n</project>\n",
    )
    .expect_err("bad nesting");
    assert_eq!(err.line, 4);
    assert!(err.message.contains("XML"), "{}", err.message);
    let err =
        parse_pom("pom.xml", "<?xml version=\"1.0\"?>\n<settings/>\n").expect_err("not a project");
    assert_eq!((err.line, err.column), (2, 1));
    let err = parse_pom(
        "pom.xml",
        "<project>\n<dependencies>\n<dependency><groupId>a</groupId></dependency>\n</dependencies></project>",
    )
    .expect_err("no artifactId");
    assert_eq!(err.line, 3);
    assert!(err.message.contains("artifactId"));
}

#[test]
fn a_broken_pom_is_an_error_and_other_poms_still_scan() {
    let (_dir, tree) = tree_of(&[("pom.xml", "<project>"), ("m/pom.xml", BOM)]);
    let scanned = scan(&tree);
    assert_eq!(scanned.errors.len(), 1);
    assert_eq!(scanned.errors[0].file, "pom.xml");
    assert_eq!(scanned.stacks.len(), 1);
}

#[test]
fn relative_paths() {
    assert_eq!(relative_path("core", "pom.xml"), "../pom.xml");
    assert_eq!(relative_path(".", "a/pom.xml"), "a/pom.xml");
    assert_eq!(relative_path("a/b", "a/c/pom.xml"), "../c/pom.xml");
    assert_eq!(
        normalize("a/b", "../../pom.xml").as_deref(),
        Some("pom.xml")
    );
    assert_eq!(normalize("a", "../../pom.xml"), None);
}

#[test]
fn no_panic_on_truncated_or_mangled_corpus_files() {
    let tree = corpus_tree(STRUTS);
    let mut texts: Vec<String> = tree
        .named("pom.xml")
        .map(|f| tree.read(f).expect("readable"))
        .collect();
    texts.push(PARENT.to_string());
    texts.push(CHILD.to_string());
    texts.push("<project><properties><a>${b}${b}${b}${b}</a><b>${c}${c}${c}${c}</b><c>${d}${d}${d}${d}</c><d>xxxxxxxxxxxxxxxxxxxxxx</d></properties><dependencies><dependency><groupId>é</groupId><artifactId>${</artifactId><version>${a}${a}${a}</version></dependency></dependencies></project>".into());
    // Twenty properties each naming the next ten times, ending in an empty one: 10^20
    // look-ups without a budget.
    let mut bomb = String::from("<project><properties><p20></p20>");
    for i in 0..20 {
        bomb.push_str(&format!(
            "<p{i}>{}</p{i}>",
            format!("${{p{}}}", i + 1).repeat(10)
        ));
    }
    bomb.push_str("</properties><dependencies><dependency><groupId>g</groupId><artifactId>a</artifactId><version>${p0}</version></dependency></dependencies></project>");
    texts.push(bomb);
    for text in &texts {
        let mut variants: Vec<String> = Vec::new();
        let mut cut = 0;
        while cut <= text.len() {
            if let Some(prefix) = text.get(..cut) {
                variants.push(prefix.to_string());
            }
            cut += 101;
        }
        variants.push(text.replace("</version>", "}</version>"));
        variants.push(text.replace("${", "${${"));
        variants.push(text.replace("relativePath", "relativePathX"));
        for variant in variants {
            if let Ok(pom) = parse_pom("pom.xml", &variant) {
                let repository = Repository {
                    poms: BTreeMap::from([("pom.xml".to_string(), pom)]),
                };
                let _ = repository.components("pom.xml");
            }
        }
    }
}
