//! Hidden `echoctl generate completions|man DIR`: completions and man pages from the
//! clap types, committed under completions/ and man/ and checked by a test.

use super::args::Cli;
use super::exit::{Failure, Result};
use clap::CommandFactory;
use clap_complete::Shell;
use std::path::Path;

fn io(dir: &Path) -> impl Fn(std::io::Error) -> Failure + '_ {
    move |e| {
        Failure::env(format!("cannot write into {}: {e}", dir.display()))
            .hint("check the directory and its permissions")
    }
}

pub fn completions(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let mut cmd = Cli::command();
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        clap_complete::generate_to(shell, &mut cmd, "echoctl", dir).map_err(io(dir))?;
    }
    Ok(())
}

pub fn man(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let cmd = Cli::command();
    write_pages(&cmd, "echoctl", dir)
}

fn write_pages(cmd: &clap::Command, name: &str, dir: &Path) -> Result<()> {
    let cmd = cmd
        .clone()
        .name(name.to_string())
        .disable_version_flag(name != "echoctl");
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd.clone())
        .render(&mut buf)
        .map_err(io(dir))?;
    std::fs::write(dir.join(format!("{name}.1")), buf).map_err(io(dir))?;
    for sub in cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        write_pages(sub, &format!("{name}-{}", sub.get_name()), dir)?;
    }
    Ok(())
}
