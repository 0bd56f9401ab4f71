//! `hailong`: the kiosk window, or a subcommand (see `hailong --help`).

use std::process::ExitCode;

use clap::Parser;
use hailong::app::{App, Now, Setup};
use hailong::cli::{self, Cli, Command, RunArgs};
use hailong::i18n::I18n;
use hailong::store::Writer;
use hailong::{font, theme};

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,wgpu=warn,naga=warn,cosmic_text=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let result = match cli.command {
        None => run(&cli.run),
        Some(Command::Run(args)) => run(&args),
        Some(Command::Rate(args)) => cli::rate(&args),
        Some(Command::Status { json }) => cli::status(json),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("hailong: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &RunArgs) -> Result<ExitCode, cli::CliError> {
    // tiny-skia draws on the CPU: no GPU needed and far less memory than wgpu on llvmpipe.
    if std::env::var_os("ICED_BACKEND").is_none() {
        // SAFETY-free: set before any thread is started.
        set_default_backend();
    }
    let (paths, config, source) = cli::load()?;
    let i18n = I18n::embedded().map_err(|e| cli::CliError::Usage(e.to_string()))?;
    let (writer, opened) = Writer::spawn(&paths.database(), || chrono::Local::now().fixed_offset());
    let kiosk = !args.windowed;
    let (width, height) = args.size.unwrap_or((1280, 800));
    let window_size = iced::Size::new(width as f32, height as f32);
    let setup = Setup {
        config,
        source,
        i18n,
        writer,
        kiosk,
        window: window_size,
    };
    let opened = std::sync::Mutex::new(Some(opened));
    let boot = move || {
        let app = App::new(setup.clone(), Now::system());
        let task = match opened.lock().ok().and_then(|mut o| o.take()) {
            Some(opened) => iced::Task::perform(opened, hailong::app::Message::StorageOpened),
            None => iced::Task::none(),
        };
        (app, task)
    };
    let result = iced::application(boot, App::update, App::view)
        .title(|_: &App| "Hài Lòng".to_owned())
        .subscription(App::subscription)
        .theme(|_: &App| theme::theme())
        .scale_factor(App::scale_factor)
        .settings(font::settings())
        .window(iced::window::Settings {
            size: window_size,
            fullscreen: kiosk && args.size.is_none(),
            decorations: !kiosk,
            resizable: !kiosk,
            ..iced::window::Settings::default()
        })
        .exit_on_close_request(!kiosk)
        .run();
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(error) => Err(cli::CliError::Usage(format!("the window failed: {error}"))),
    }
}

fn set_default_backend() {
    // Edition 2024 makes set_var unsafe, and unsafe is forbidden here; the renderer reads
    // ICED_BACKEND, so re-run ourselves with it set instead.
    let exe = std::env::current_exe();
    if let Ok(exe) = exe {
        let status = std::process::Command::new(exe)
            .args(std::env::args_os().skip(1))
            .env("ICED_BACKEND", "tiny-skia")
            .status();
        match status {
            Ok(status) => std::process::exit(status.code().unwrap_or(1)),
            Err(error) => eprintln!("hailong: cannot restart with the tiny-skia renderer: {error}"),
        }
    }
}
