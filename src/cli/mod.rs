//! The command line: parses arguments, resolves settings, assembles the ledger's kind
//! registry from the features, calls the domain, renders the result (table or --json)
//! and maps errors to exit codes and hints. The only module that reads the environment,
//! prints, or decides the exit status.

pub mod args;
mod bft;
mod emergency;
pub mod exit;
pub mod generate;
mod governance;
mod hints;
mod key;
mod ledger;
mod ledger_copy;
mod ledger_proofs;
mod ledger_tiles;
pub mod output;
mod serve;
pub mod settings;
mod tiles_http;
mod wealth;
mod wealth_json;
mod witness;

use args::{Cli, Command, GenerateCommand};
use settings::Settings;
use std::process::ExitCode;

pub use crate::features::{registry, registry_with};

/// Runs echoctl with the process arguments.
pub fn main() -> ExitCode {
    use clap::{CommandFactory, FromArgMatches};
    // clap alone reads the arguments (as OsStrings: one that is not UTF-8 is its error to
    // report, never a panic); what a handler needs beyond the typed values, such as the
    // order of repeated flags, it reads from these matches.
    let parsed = Cli::command().try_get_matches().and_then(|m| {
        Cli::from_arg_matches(&m)
            .map(|cli| (cli, m))
            .map_err(|e| e.format(&mut Cli::command()))
    });
    let (cli, matches) = match parsed {
        Ok(parsed) => parsed,
        Err(e) => {
            let _ = e.print();
            if !e.use_stderr() {
                return ExitCode::from(exit::OK);
            }
            eprintln!("hint: {}", help_hint());
            return ExitCode::from(exit::USAGE);
        }
    };
    let settings = match Settings::resolve(&cli) {
        Ok(s) => s,
        Err(e) => return exit::report(&e.or_hint(help_hint()), settings::early_color(&cli)),
    };
    let result = match cli.command {
        Command::Init(a) => ledger::init(&settings, a),
        Command::Key(k) => key::run(&settings, k),
        Command::Ledger(l) => ledger::run(&settings, l),
        Command::Bft(b) => bft::run(&settings, b),
        Command::Court(c) => governance::court(&settings, c, &matches),
        Command::Treasury(t) => governance::treasury(&settings, t),
        Command::Watchtower(w) => governance::watchtower(&settings, w),
        Command::Wealth(w) => wealth::run(&settings, w),
        Command::Emergency(e) => emergency::run(&settings, e),
        Command::Serve(a) => serve::serve(&settings, a),
        Command::Token(c) => serve::token(&settings, c),
        Command::Witness(c) => witness::run(&settings, c),
        Command::Generate(GenerateCommand::Completions { dir }) => {
            generate::completions(&dir).map(|()| exit::OK)
        }
        Command::Generate(GenerateCommand::Man { dir }) => generate::man(&dir).map(|()| exit::OK),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // Every refusal says what to do next; where the domain had no better word,
            // the command's help.
            let e = match e.code {
                exit::USAGE | exit::ENVIRONMENT => e.or_hint(help_hint()),
                _ => e,
            };
            exit::report(&e, settings.color)
        }
    }
}

/// "'echoctl ledger append --help' ...": the help of the (sub)command the arguments name.
fn help_hint() -> String {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    let mut path = vec!["echoctl".to_owned()];
    // Only to name the subcommand: an argument that is not UTF-8 names none.
    for arg in std::env::args_os().skip(1) {
        let Some(sub) = arg.to_str().and_then(|a| cmd.find_subcommand(a)).cloned() else {
            continue;
        };
        path.push(sub.get_name().to_owned());
        cmd = sub;
    }
    format!(
        "'{} --help' shows its arguments and examples; exit statuses are listed in the README",
        path.join(" ")
    )
}
