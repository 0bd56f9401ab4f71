//! Embeds every `i18n/*.ftl` file, so that adding a language is adding one file, and every
//! spoken prompt `assets/audio/<language>/<key>.wav`.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

fn main() {
    let dir = Path::new(&env::var("CARGO_MANIFEST_DIR").expect("cargo sets it")).join("i18n");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = fs::read_dir(&dir)
        .expect("i18n/ exists")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "ftl"))
        .collect();
    files.sort();
    let mut out = String::from("/// (language tag, Fluent source) for every file in i18n/.\n");
    out.push_str("pub const LANGUAGE_FILES: &[(&str, &str)] = &[\n");
    for path in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let tag = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("utf-8 file name");
        writeln!(
            out,
            "    ({tag:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .expect("write to string");
    }
    out.push_str("];\n");
    let dest = Path::new(&env::var("OUT_DIR").expect("cargo sets it")).join("languages.rs");
    fs::write(dest, out).expect("write languages.rs");
    embed_audio();
}

/// `AUDIO_FILES`: (language, i18n key, WAV bytes) for every assets/audio/<language>/<key>.wav.
fn embed_audio() {
    let dir = Path::new(&env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"))
        .join("assets")
        .join("audio");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files = Vec::new();
    if let Ok(languages) = fs::read_dir(&dir) {
        for language in languages.filter_map(Result::ok) {
            println!("cargo:rerun-if-changed={}", language.path().display());
            let Ok(prompts) = fs::read_dir(language.path()) else {
                continue;
            };
            for prompt in prompts.filter_map(Result::ok) {
                let path = prompt.path();
                if path.extension().is_some_and(|ext| ext == "wav") {
                    files.push(path);
                }
            }
        }
    }
    files.sort();
    let mut out = String::from("/// (language tag, i18n key, WAV bytes) of every spoken prompt.\n");
    out.push_str("pub const AUDIO_FILES: &[(&str, &str, &[u8])] = &[\n");
    for path in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let key = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("utf-8 name");
        let language = path
            .parent()
            .and_then(Path::file_name)
            .and_then(|s| s.to_str())
            .expect("utf-8 folder");
        writeln!(
            out,
            "    ({language:?}, {key:?}, include_bytes!({:?})),",
            path.display().to_string()
        )
        .expect("write to string");
    }
    out.push_str("];\n");
    let dest = Path::new(&env::var("OUT_DIR").expect("cargo sets it")).join("audio.rs");
    fs::write(dest, out).expect("write audio.rs");
}
