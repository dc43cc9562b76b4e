#[test]
fn v1_requires_is_inserted_in_npm6_order() {
    // A (made-up) ms 2.1.3 that requires debug: coreui's top-level ms entry has no `requires`,
    // so one is added after `dev`, sorted by code unit.
    let old = lock(COREUI);
    let to = VersionManifest {
        dependencies: vec![
            ("debug".into(), "^4.1.0".into()),
            ("base64-js".into(), "^1.0.2".into()),
        ],
        ..manifest("ms", "2.1.3")
    };
    let edit = plan_edit(&old, "ms", "2.1.2", &to).unwrap();
    let new: Value = serde_json::from_str(&edit.new_text).unwrap();
    let entry = new["dependencies"]["ms"].as_object().unwrap();
    let keys: Vec<&str> = entry.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["version", "resolved", "integrity", "dev", "requires"]
    );
    let requires: Vec<&str> = entry["requires"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(requires, ["base64-js", "debug"]);
    assert_eq!(changed_entries(&old, &edit.new_text).unwrap(), edit.changed);
}
