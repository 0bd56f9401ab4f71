//! `hailong`: the kiosk window, or a subcommand (see `hailong --help`).

use std::process::ExitCode;

use clap::Parser;
use hailong::app::{App, Now, Setup};
use hailong::cli::{self, Cli, Command, RunArgs};
use hailong::font;
use hailong::i18n::I18n;
use hailong::store::Writer;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The kiosk logs its life at info; a command prints its answer and only warns on stderr.
    // Both keep an info log in the data directory.
    let kiosk = cli.command.is_none() || matches!(cli.command, Some(Command::Run(_)));
    let quiet = "info,wgpu=warn,naga=warn,cosmic_text=warn,iced_winit=warn";
    let paths = hailong::config::Paths::from_env().ok();
    let keep_days = paths
        .as_ref()
        .and_then(|p| hailong::config::TerminalConfig::load(&p.config_dir).ok())
        .map_or(hailong::logging::DEFAULT_KEEP_DAYS, |(c, _)| {
            usize::from(c.terminal.log_keep_days)
        });
    let _log_guard = hailong::logging::init(
        paths.as_ref().map(|p| p.data_dir.as_path()),
        keep_days,
        quiet,
        if kiosk { quiet } else { "warn" },
    );
    let result = match cli.command {
        None => run(&cli.run),
        Some(Command::Run(args)) => run(&args),
        Some(Command::Rate(args)) => cli::rate(&args),
        Some(Command::Status { json }) => cli::status(json),
        Some(Command::Provision(args)) => cli::provision(&args),
        Some(Command::Sync { json }) => cli::sync(json),
        Some(Command::Doctor { json }) => cli::doctor(json),
        Some(Command::HashPin) => cli::hash_pin(),
        Some(Command::Tally(args)) => hailong::report::tally(&args),
        Some(Command::Export(args)) => hailong::report::export(&args),
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
    // The default build has only the tiny-skia renderer (CPU, no GPU needed, far less memory
    // than wgpu on llvmpipe); a build with the `wgpu` feature honours ICED_BACKEND.
    let cli::Loaded {
        paths,
        config,
        source,
        link,
    } = cli::load()?;
    let i18n = I18n::embedded().map_err(|e| cli::CliError::Usage(e.to_string()))?;
    let (writer, opened) = Writer::spawn(&paths.database(), || chrono::Local::now().fixed_offset());
    let kiosk = !args.windowed;
    let (width, height) = args.size.unwrap_or((1280, 800));
    let window_size = iced::Size::new(width as f32, height as f32);
    // A packaged terminal asks for provisioning instead of running the demo.
    let setup_mode =
        args.no_demo && source == hailong::config::ConfigSource::Demo && link.is_none();
    let sync = link.map(|link| hailong::sync::worker::Settings {
        writer: writer.clone(),
        link,
        config_dir: paths.config_dir.clone(),
        clock: || chrono::Local::now().fixed_offset(),
    });
    let setup = Setup {
        setup_mode,
        config_dir: paths.config_dir.clone(),
        usb_roots: Vec::new(),
        config,
        source,
        i18n,
        writer,
        sync,
        kiosk,
        window: window_size,
        speaker: hailong::audio::Speaker::detect(),
    };
    let opened = std::sync::Mutex::new(Some(opened));
    let boot = move || {
        // READY=1 and the watchdog pings go out from the UI's tick (a no-op outside systemd).
        let app = App::new(setup.clone(), Now::system())
            .with_notifier(hailong::notify::Notifier::from_env());
        let task = match opened.lock().ok().and_then(|mut o| o.take()) {
            Some(opened) => iced::Task::perform(opened, hailong::app::Message::StorageOpened),
            None => iced::Task::none(),
        };
        (app, task)
    };
    let result = iced::application(boot, App::update, App::view)
        .title(|_: &App| "Hài Lòng".to_owned())
        .subscription(App::subscription)
        .theme(App::theme)
        .scale_factor(App::scale_factor)
        .settings(font::settings())
        .window(iced::window::Settings {
            // iced sizes windows in logical units, which the app's scale multiplies.
            size: window_size * (1.0 / App::new_scale(window_size)),
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
