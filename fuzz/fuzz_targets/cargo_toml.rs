#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| nanoup_fuzz::run("cargo_toml", data));
