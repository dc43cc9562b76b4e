//! Shared glue for the fuzz targets: run one named nanoup parser on arbitrary text.

/// Runs the nanoup parser registered as `name` on `data` (as UTF-8 when it is; parsers only take
/// text, since nanoup rejects non-UTF-8 files before parsing). Any panic is a bug.
pub fn run(name: &str, data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match name {
        "osv_json" => {
            let _ = nanoup_advisories::osv::parse_json(text);
        }
        "rustsec_markdown" => {
            let _ = nanoup_advisories::sources::parse_rustsec_markdown(text);
        }
        _ => {
            let parser = nanoup_ecosystems::parsers()
                .into_iter()
                .find(|p| p.name == name)
                .unwrap_or_else(|| panic!("no parser named {name}"));
            let _ = (parser.parse)(parser.file_name, text);
        }
    }
}
