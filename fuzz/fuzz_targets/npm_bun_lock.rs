#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| nanoup_fuzz::run("npm_bun_lock", data));
