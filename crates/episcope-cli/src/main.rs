//! `episcope`: the command-line face of the engine. `main` is the one place that maps outcomes to
//! exit codes: 0 success, 2 when the dataset cannot be opened (usage or I/O).

mod info;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "episcope",
    version,
    about = "Look at, measure and certify robot-learning datasets (LeRobot v2.0/v2.1/v3.0)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print a dataset's overview: version, robot, fps, episodes, frames, tasks, features, files.
    Info {
        /// The dataset folder (the one holding meta/info.json).
        dir: std::path::PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let outcome = match cli.command {
        Command::Info { dir, json } => info::run(&dir, json),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("episcope: {e:#}");
            ExitCode::from(2)
        }
    }
}
