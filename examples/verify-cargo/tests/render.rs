//! Golden layouts: what a person sees in a monospace terminal.

use coltab::export::{decode, from_base64};
use coltab::{Cell, Style, Table};

/// A release review board: the kind of table coltab is used for.
fn review_board() -> Table {
    let mut t = Table::new(&["crate", "version", "downloads", "review"]).unwrap();
    t.push_row([
        "itoa".into(),
        "1.0.1".into(),
        Cell::Int(412),
        "\u{1F44D}\u{1F3FD} approved".into(), // 👍🏽 (thumbs up, medium skin tone)
    ])
    .unwrap();
    t.push_row([
        "ryu".into(),
        "1.0.9".into(),
        Cell::Int(87),
        "pending".into(),
    ])
    .unwrap();
    t
}

#[test]
fn review_board_layout() {
    let expected = "\
+-------+---------+-----------+---------------+
| Crate | Version | Downloads | Review        |
+-------+---------+-----------+---------------+
| itoa  | 1.0.1   |       412 | \u{1F44D}\u{1F3FD} approved |
| ryu   | 1.0.9   |        87 | pending       |
+-------+---------+-----------+---------------+
";
    let rendered = review_board().render();
    let review = "\u{1F44D}\u{1F3FD} approved";
    assert_eq!(
        rendered,
        expected,
        "\nthe Review column is sized by {review:?}, which measures {} columns \
         (13 when this layout was recorded)\nrendered:\n{rendered}\nexpected:\n{expected}",
        coltab::text::display_width(review),
    );
}

#[test]
fn plain_style_has_no_frame() {
    let t = review_board().with_style(Style::HEADER);
    let rendered = t.render();
    let first = rendered.lines().next().unwrap();
    assert_eq!(first, "Crate  Version  Downloads  Review");
    assert!(!rendered.contains('|'));
    assert!(rendered
        .lines()
        .nth(2)
        .unwrap()
        .starts_with("ryu    1.0.9    87"));
}

#[test]
fn wide_and_combined_text_lines_up() {
    let mut t = Table::new(&["city", "population"]).unwrap();
    t.push_row(["東京".into(), Cell::Int(13_960_000)]).unwrap();
    t.push_row(["Mu\u{308}nchen".into(), Cell::Int(1_488_202)])
        .unwrap(); // ü as u + U+0308
    t.push_row(["Reykjavík".into(), Cell::Float(1.39e5)])
        .unwrap();
    let expected = "\
+-----------+------------+
| City      | Population |
+-----------+------------+
| 東京      |   13960000 |
| Mu\u{308}nchen   |    1488202 |
| Reykjavík |   139000.0 |
+-----------+------------+
";
    assert_eq!(t.render(), expected);
}

#[test]
fn long_cells_are_truncated_on_grapheme_bounds() {
    let mut t = Table::new(&["package", "summary"])
        .unwrap()
        .with_max_cell_width(12);
    t.push_row(["unicode-segmentation", "Grapheme cluster boundaries"])
        .unwrap();
    t.push_row(["de\u{301}ja\u{300}-vu".into(), Cell::Empty])
        .unwrap();
    let expected = "\
+--------------+--------------+
| Package      | Summary      |
+--------------+--------------+
| unicode-seg… | Grapheme cl… |
| de\u{301}ja\u{300}-vu      |              |
+--------------+--------------+
";
    assert_eq!(t.render(), expected);
}

#[test]
fn rendered_table_survives_export() {
    let t = review_board();
    let back = decode(&t.encode().unwrap()).unwrap();
    assert_eq!(back.render(), t.render());
    let via_text = from_base64(&t.to_base64().unwrap()).unwrap();
    assert_eq!(via_text, t);
    assert_eq!(via_text.fingerprint().unwrap(), t.fingerprint().unwrap());
}
