//! Prints how long each lockfile/manifest parser takes on every matching file of a corpus.
//!
//! `cargo run --release -p nanoup-ecosystems --example parse_bench [-- CORPUS_DIR]`
//! (default `../shared/corpus`). Figures, not assertions: speed is proven here, not in tests.

use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let root = std::env::args()
        .nth(1)
        .map_or_else(|| PathBuf::from("../shared/corpus"), PathBuf::from);
    let tree = match nanoup_ecosystems::Tree::walk(&root) {
        Ok(tree) => tree,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    for parser in nanoup_ecosystems::parsers() {
        for file in tree.named(parser.file_name) {
            let Ok(text) = tree.read(file) else { continue };
            let runs = 20;
            let start = Instant::now();
            let mut entries = 0;
            for _ in 0..runs {
                entries = (parser.parse)(file, &text).unwrap_or(0);
            }
            let per = start.elapsed() / runs;
            println!(
                "{:<18} {:>9} bytes {:>6} entries {:>10.3} ms  {}",
                parser.name,
                text.len(),
                entries,
                per.as_secs_f64() * 1000.0,
                file
            );
        }
    }
}
