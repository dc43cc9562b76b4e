//! nanoup's own JSON formats (documented in docs/formats.md).

use nanoup_core::Inventory;

/// The inventory as `nanoup.scan/v1` JSON: pretty-printed, keys in a fixed order, final newline.
pub fn scan(inventory: &Inventory) -> String {
    let mut out = serde_json::to_string_pretty(inventory)
        .unwrap_or_else(|e| format!("{{\"error\":\"cannot serialise inventory: {e}\"}}"));
    out.push('\n');
    out
}
