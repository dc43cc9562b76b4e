//! Tests of the pom editor on the poms of the struts corpus set: the root pom (whose
//! dependencyManagement pins literal versions, a property used once — `ognl.version` — and
//! properties several dependencies share — `jackson.version` — or that modules inherit —
//! `log4j2.version`), and the core module, which inherits from it.

use nanoup_core::EntryChange;

use super::*;
use crate::testutil::{assert_one_step, byte_diff, change, corpus, versioned_components};

const STRUTS: &str = "maven/apache__struts__4cf9093cc5";

fn read(path: &str) -> String {
    std::fs::read_to_string(corpus().join(STRUTS).join(path)).expect("corpus pom")
}

/// Every pom of the struts set, as (path, text).
fn repository() -> Vec<(String, String)> {
    [
        "pom.xml",
        "core/pom.xml",
        "apps/showcase/pom.xml",
        "plugins/rest/pom.xml",
        "plugins/spring/pom.xml",
    ]
    .iter()
    .map(|p| (p.to_string(), read(p)))
    .collect()
}

#[test]
fn literal_version_changes_only_its_text() {
    let old = read("pom.xml");
    let edit = edit_pom(
        "pom.xml",
        &old,
        &repository(),
        "org.freemarker:freemarker",
        "2.3.30",
        "2.3.31",
    )
    .expect("edit");
    let (at, before, after) = byte_diff(&old, &edit.text);
    assert_eq!((before, after), ("0", "1"));
    assert!(
        old[..at].ends_with("<artifactId>freemarker</artifactId>\n                <version>2.3.3")
    );
    assert_eq!(edit.lines, [621]);
    assert_eq!(
        edit.what,
        "<version> of org.freemarker:freemarker (line 621)"
    );
    assert_eq!(
        changed_entries("pom.xml", &old, &edit.text).unwrap(),
        [change("org.freemarker:freemarker", "2.3.30", "2.3.31")]
    );
}

#[test]
fn property_used_once_is_edited_where_it_is_set() {
    let old = read("pom.xml");
    let edit = edit_pom(
        "pom.xml",
        &old,
        &repository(),
        "ognl:ognl",
        "3.1.28",
        "3.1.29",
    )
    .expect("edit");
    let (at, before, after) = byte_diff(&old, &edit.text);
    assert_eq!((before, after), ("8", "9"));
    assert!(old[..at].ends_with("<ognl.version>3.1.2"));
    // The dependency still names the property.
    assert!(edit.text.contains("<version>${ognl.version}</version>"));
    assert_eq!(edit.lines, [102]);
    assert_eq!(
        edit.what,
        "property `ognl.version` (line 102), used only by ognl:ognl"
    );
    assert_eq!(
        changed_entries("pom.xml", &old, &edit.text).unwrap(),
        [change("ognl:ognl", "3.1.28", "3.1.29")]
    );
}

#[test]
fn property_shared_by_several_dependencies_is_refused_naming_them() {
    let old = read("pom.xml");
    let refusal = edit_pom(
        "pom.xml",
        &old,
        &[],
        "com.fasterxml.jackson.core:jackson-databind",
        "2.10.3",
        "2.10.5",
    )
    .unwrap_err();
    let PomRefusal::SharedProperty {
        line,
        property,
        users,
        ..
    } = &refusal
    else {
        panic!("{refusal:?}");
    };
    assert_eq!((*line, property.as_str()), (108, "jackson.version"));
    assert_eq!(
        users,
        &[
            "dependency com.fasterxml.jackson.core:jackson-core (line 1080)",
            "dependency com.fasterxml.jackson.dataformat:jackson-dataformat-xml (line 1090)",
        ]
    );
    let message = refusal.to_string();
    assert!(
        message.starts_with("pom.xml:108: the version of"),
        "{message}"
    );
    assert!(message.contains("not a nano update"), "{message}");
    assert!(
        message.contains("change `jackson.version` yourself"),
        "{message}"
    );
}

#[test]
fn property_inherited_by_modules_is_refused_naming_them() {
    let old = read("pom.xml");
    let api = "org.apache.logging.log4j:log4j-api";
    // Alone, the root pom uses `log4j2.version` once.
    let alone = edit_pom("pom.xml", &old, &[], api, "2.12.1", "2.17.1").expect("edit");
    assert_eq!(
        changed_entries("pom.xml", &old, &alone.text).unwrap(),
        [change(api, "2.12.1", "2.17.1")]
    );
    // But core inherits it (its parent is the root), and showcase may (its parent is not in
    // the repository): both use it.
    let refusal = edit_pom("pom.xml", &old, &repository(), api, "2.12.1", "2.17.1").unwrap_err();
    let PomRefusal::SharedProperty { users, .. } = &refusal else {
        panic!("{refusal:?}");
    };
    assert_eq!(
        users,
        &[
            "apps/showcase/pom.xml: dependency org.apache.logging.log4j:log4j-api (line 102)",
            "apps/showcase/pom.xml: dependency org.apache.logging.log4j:log4j-core (line 107)",
            "apps/showcase/pom.xml: dependency org.apache.logging.log4j:log4j-jcl (line 112)",
            "core/pom.xml: dependency org.apache.logging.log4j:log4j-api (line 244)",
            "core/pom.xml: dependency org.apache.logging.log4j:log4j-core (line 322)",
        ]
    );
}

#[test]
fn property_of_a_parent_is_refused() {
    let old = read("core/pom.xml");
    let api = "org.apache.logging.log4j:log4j-api";
    let refusal =
        edit_pom("core/pom.xml", &old, &repository(), api, "2.12.1", "2.17.1").unwrap_err();
    assert_eq!(
        refusal,
        PomRefusal::PropertyInParent {
            file: "core/pom.xml".into(),
            line: 244,
            property: "log4j2.version".into(),
            parent: "pom.xml".into(),
        }
    );
    assert!(
        refusal
            .to_string()
            .contains("set in the parent pom pom.xml")
    );
    // Without the parent in the repository the property is unknown: said so, with why.
    let refusal = edit_pom("core/pom.xml", &old, &[], api, "2.12.1", "2.17.1").unwrap_err();
    let message = refusal.to_string();
    assert!(
        matches!(refusal, PomRefusal::PropertyUndefined { line: 244, .. }),
        "{refusal:?}"
    );
    assert!(
        message.contains("parent org.apache.struts:struts2-parent:2.5.26 is not in the repository"),
        "{message}"
    );
}

#[test]
fn version_from_another_poms_dependency_management_is_refused() {
    let old = read("core/pom.xml");
    let refusal = edit_pom(
        "core/pom.xml",
        &old,
        &repository(),
        "ognl:ognl",
        "3.1.28",
        "3.1.29",
    )
    .unwrap_err();
    let PomRefusal::ManagedElsewhere { line, place, .. } = &refusal else {
        panic!("{refusal:?}");
    };
    assert_eq!((*line, place.as_str()), (222, "pom.xml:687"));
    assert!(
        refusal
            .to_string()
            .contains("apply the update planned for that entry")
    );
}

#[test]
fn project_version_and_stale_plans_are_refused() {
    let old = read("pom.xml");
    let refusal = edit_pom(
        "pom.xml",
        &old,
        &[],
        "org.apache.struts:struts2-core",
        "2.5.26",
        "2.5.30",
    )
    .unwrap_err();
    assert!(
        matches!(&refusal, PomRefusal::ProjectVersion { property, .. } if property == "project.version"),
        "{refusal:?}"
    );
    let refusal = edit_pom(
        "pom.xml",
        &old,
        &[],
        "org.freemarker:freemarker",
        "2.3.29",
        "2.3.31",
    )
    .unwrap_err();
    assert_eq!(
        refusal.to_string(),
        "pom.xml: org.freemarker:freemarker is 2.3.30 here, not 2.3.29; the pom changed since \
         the plan, re-plan"
    );
    let refusal = edit_pom("pom.xml", &old, &[], "no:such", "1", "2").unwrap_err();
    assert!(matches!(refusal, PomRefusal::NotFound { .. }));
    let refusal = edit_pom(
        "pom.xml",
        &old,
        &[],
        "org.freemarker:freemarker",
        "2.3.30",
        "2.3.31</version><x>",
    )
    .unwrap_err();
    assert!(matches!(refusal, PomRefusal::BadVersion { .. }));
}

#[test]
fn same_pom_managed_entry_moves_its_followers() {
    let pom = r#"<project>
  <groupId>g</groupId><artifactId>app</artifactId><version>1</version>
  <properties>
    <a.version>1.0</a.version> <!-- keep -->
  </properties>
  <dependencyManagement><dependencies>
    <dependency><groupId>x</groupId><artifactId>a</artifactId><version>${a.version}</version></dependency>
  </dependencies></dependencyManagement>
  <dependencies>
    <dependency><groupId>x</groupId><artifactId>a</artifactId></dependency>
  </dependencies>
</project>
"#;
    let edit = edit_pom("pom.xml", pom, &[], "x:a", "1.0", "1.1").expect("edit");
    assert_eq!(edit.text, pom.replace("<a.version>1.0<", "<a.version>1.1<"));
    // The managed entry and the dependency that follows it: the same step at two places.
    assert_eq!(
        changed_entries("pom.xml", pom, &edit.text).unwrap(),
        [change("x:a", "1.0", "1.1"), change("x:a", "1.0", "1.1")]
    );
}

#[test]
fn unusual_layouts_are_refused() {
    let pom = |version: &str, extra: &str| {
        format!(
            "<project><groupId>g</groupId><artifactId>app</artifactId><version>1</version>\
             <properties><a>1.0</a><b>${{a}}</b></properties>{extra}<dependencies><dependency>\
             <groupId>x</groupId><artifactId>a</artifactId><version>{version}</version>\
             </dependency></dependencies></project>"
        )
    };
    let refuse = |text: &str| edit_pom("pom.xml", text, &[], "x:a", "1.0", "1.1").unwrap_err();
    let layout = |refusal: PomRefusal| match refusal {
        PomRefusal::Layout { reason, .. } => reason,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        layout(refuse(&pom("1.0<!-- c -->", ""))),
        "the <version> holds a comment, a CDATA section or an entity"
    );
    assert_eq!(
        layout(refuse(&pom("${b}", ""))),
        "the property `b` is itself `${a}`"
    );
    let two_parts = pom("${a}", "").replace("<a>1.0</a>", "<a>1</a><z>.0</z>");
    let two_parts = two_parts.replace("${a}</version>", "${a}${z}</version>");
    assert_eq!(
        layout(refuse(&two_parts)),
        "the version `${a}${z}` is built from several parts"
    );
    let profile = pom(
        "${a}",
        "<profiles><profile><id>old</id><properties><a>0.9</a></properties></profile></profiles>",
    );
    assert_eq!(
        layout(refuse(&profile)),
        "the property `a` is also set by profile `old` (line 1)"
    );
    // A property another property refers to is shared.
    let refusal = refuse(&pom("${a}", ""));
    assert!(
        matches!(&refusal, PomRefusal::SharedProperty { users, .. } if users == &["property `b` (line 1)"]),
        "{refusal:?}"
    );
}

#[test]
fn changed_entries_sees_everything_outside_the_versions() {
    let old = read("pom.xml");
    // A plugin version is not a component, but it is part of the file.
    let new = old.replacen(
        "<version>3.0.0-M1</version>",
        "<version>3.0.0-M2</version>",
        1,
    );
    assert_eq!(
        changed_entries("pom.xml", &old, &new).unwrap(),
        [EntryChange {
            name: "[rest of pom.xml]".into(),
            from: None,
            to: None,
            path: None,
        }]
    );
    // A property several dependencies share moves them all.
    let new = old.replace(
        "<jackson.version>2.10.3</jackson.version>",
        "<jackson.version>2.10.5</jackson.version>",
    );
    assert_eq!(
        changed_entries("pom.xml", &old, &new).unwrap(),
        [
            change(
                "com.fasterxml.jackson.core:jackson-core",
                "2.10.3",
                "2.10.5"
            ),
            change(
                "com.fasterxml.jackson.core:jackson-databind",
                "2.10.3",
                "2.10.5"
            ),
            change(
                "com.fasterxml.jackson.dataformat:jackson-dataformat-xml",
                "2.10.3",
                "2.10.5"
            ),
        ]
    );
    // A property a plugin uses is outside the dependency versions.
    let new = old.replace(
        "<maven-surefire-plugin.version>3.0.0-M4<",
        "<maven-surefire-plugin.version>3.0.0-M5<",
    );
    let changed = changed_entries("pom.xml", &old, &new).unwrap();
    assert!(
        changed.iter().any(|c| c.name == "[rest of pom.xml]"),
        "{changed:?}"
    );
    assert_eq!(changed_entries("pom.xml", &old, &old).unwrap(), []);
    assert!(changed_entries("pom.xml", &old, "<project>").is_err());
}

#[test]
fn every_component_of_the_corpus_moves_alone_or_is_refused() {
    // Each resolved component of every struts pom, moved to a new version: the edit either is
    // refused or changes that package alone (once per place it is written at).
    let repo = repository();
    let (mut applied, mut refused) = (0, 0);
    for component in versioned_components(super::super::scan, STRUTS) {
        let (file, name) = (&component.file, &component.name);
        let version = component.version.as_deref().unwrap_or_default();
        let text = read(file);
        match edit_pom(file, &text, &repo, name, version, "99.0.0") {
            Ok(edit) => {
                let changed = changed_entries(file, &text, &edit.text).unwrap();
                assert_one_step(changed, name, version, "99.0.0");
                applied += 1;
            }
            Err(refusal) => {
                assert!(!matches!(refusal, PomRefusal::NotFound { .. }), "{refusal}");
                refused += 1;
            }
        }
    }
    assert!(
        applied > 50 && refused > 50,
        "{applied} applied, {refused} refused"
    );
}
