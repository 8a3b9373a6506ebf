//! The `stock-widget` binary. Run with: `stock-widget serve --demo`.

// Every request allocates a little (headers, JSON): mimalloc serves that
// faster than the system allocator under concurrency (BENCHMARKS.md §5).
#[cfg(not(target_arch = "wasm32"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(not(target_arch = "wasm32"))]
#[tokio::main]
async fn main() -> std::process::ExitCode {
    use clap::Parser;
    use std::sync::Arc;
    use stock_widget::server::cli::{Cli, Command};
    use stock_widget::server::{Application, SystemClock, shutdown_signal};

    let command = Cli::parse().command;
    let logs = tracing_subscriber::fmt().with_env_filter(
        tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| "info,tower_http=warn".into()),
    );
    let args = match command {
        Command::Serve(args) => {
            logs.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
                .init();
            args
        }
        Command::Import(args) => {
            // stdout is for the result; logs and the progress bar go to stderr.
            logs.with_writer(std::io::stderr)
                .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
                .init();
            return import(args).await;
        }
        Command::ImportDemand(args) => {
            logs.with_writer(std::io::stderr)
                .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
                .init();
            return import_demand(args).await;
        }
        Command::TokenFingerprint => return token_fingerprint(),
    };
    let config = (*args).into_config();
    tracing::info!(database = ?config.db, "opening the store");
    let application = match Application::build(&config, Arc::new(SystemClock)).await {
        Ok(application) => application,
        Err(error) => {
            tracing::error!("{error:#}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let url = format!("http://{}/", application.local_addr());
    tracing::info!("stock-widget is ready at {url}");
    match application.run_until(shutdown_signal()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// `stock-widget import FILE.csv`: what was written, or why nothing was.
#[cfg(not(target_arch = "wasm32"))]
async fn import(args: stock_widget::server::cli::ImportArgs) -> std::process::ExitCode {
    use stock_widget::server::import::{import, import_connections};
    match import(&args.file, &args.store.db, import_connections()).await {
        Ok(outcome) => {
            println!(
                "imported {} products from {} in one transaction: {} created, {} updated",
                outcome.created.len() + outcome.updated.len(),
                args.file.display(),
                outcome.created.len(),
                outcome.updated.len()
            );
            std::process::ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{error}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// `stock-widget import-demand FILE.csv`: what was written, or why nothing was.
#[cfg(not(target_arch = "wasm32"))]
async fn import_demand(
    args: stock_widget::server::cli::ImportDemandArgs,
) -> std::process::ExitCode {
    use stock_widget::server::import::{import_connections, import_demand};
    match import_demand(&args.file, &args.store.db, import_connections()).await {
        Ok(days) => {
            println!(
                "imported the demand of {days} day{} from {} in one transaction",
                if days == 1 { "" } else { "s" },
                args.file.display()
            );
            std::process::ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{error}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// `stock-widget token-fingerprint`: the fingerprint of each token on stdin
/// (one a line, or separated by commas), one a line.
#[cfg(not(target_arch = "wasm32"))]
fn token_fingerprint() -> std::process::ExitCode {
    let mut input = String::new();
    if let Err(error) = std::io::Read::read_to_string(&mut std::io::stdin(), &mut input) {
        eprintln!("cannot read the tokens from stdin: {error}");
        return std::process::ExitCode::FAILURE;
    }
    let tokens = input
        .split([',', '\n'])
        .map(str::trim)
        .filter(|token| !token.is_empty());
    for token in tokens {
        println!("{}", stock_widget::server::fingerprint(token));
    }
    std::process::ExitCode::SUCCESS
}

/// The widget is a library for the browser; there is no program to run there.
#[cfg(target_arch = "wasm32")]
fn main() {}
