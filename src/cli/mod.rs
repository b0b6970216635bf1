//! The command line: parses arguments, resolves settings, calls the domain, renders the
//! result (table or --json) and maps errors to exit codes. The only module that reads
//! the environment, prints, or decides the exit status.

pub mod args;
mod bft;
pub mod exit;
pub mod generate;
mod governance;
mod key;
mod ledger;
pub mod output;
pub mod settings;
mod wealth;

use args::{Cli, Command, GenerateCommand};
use clap::Parser;
use settings::Settings;
use std::process::ExitCode;

/// Runs echoctl with the process arguments.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { exit::USAGE } else { exit::OK });
        }
    };
    let settings = Settings::resolve(&cli);
    let result = match cli.command {
        Command::Init(a) => ledger::init(&settings, a),
        Command::Key(k) => key::run(&settings, k),
        Command::Ledger(l) => ledger::run(&settings, l),
        Command::Bft(b) => bft::run(&settings, b),
        Command::Court(c) => governance::court(&settings, c),
        Command::Treasury(t) => governance::treasury(&settings, t),
        Command::Watchtower(w) => governance::watchtower(&settings, w),
        Command::Wealth(w) => wealth::run(&settings, w),
        Command::Generate(GenerateCommand::Completions { dir }) => {
            generate::completions(&dir).map(|()| exit::OK)
        }
        Command::Generate(GenerateCommand::Man { dir }) => generate::man(&dir).map(|()| exit::OK),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        // The reader of our stdout went away: nothing left to say to anyone.
        Err(e) if e.message == output::STDOUT_CLOSED => ExitCode::from(exit::OK),
        Err(e) => exit::report(&e, settings.color),
    }
}
