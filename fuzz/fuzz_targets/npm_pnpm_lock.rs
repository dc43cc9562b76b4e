#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| nanoup_fuzz::run("npm_pnpm_lock", data));
