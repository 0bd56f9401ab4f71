//! Hài Lòng: the citizen-satisfaction kiosk of a commune one-stop desk.
//!
//! The library holds everything; `main.rs` is only the command line.

pub mod app;
pub mod audio;
pub mod cli;
pub mod config;
pub mod doctor;
pub mod export;
pub mod font;
pub mod i18n;
pub mod logging;
pub mod notify;
pub mod photo;
pub mod provision;
pub mod report;
pub mod screen;
pub mod staff;
pub mod store;
pub mod survey;
pub mod sync;
pub mod theme;
pub mod widget;
