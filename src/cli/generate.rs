//! Hidden `echoctl generate completions|man DIR`: completions and man pages from the
//! clap types, committed under completions/ and man/ and checked by a test.

use super::args::Cli;
use crate::error::{Error, Result};
use clap::CommandFactory;
use clap_complete::Shell;
use std::path::Path;

pub fn completions(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut cmd = Cli::command();
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        clap_complete::generate_to(shell, &mut cmd, "echoctl", dir)
            .map_err(|e| Error::env(format!("cannot write completions: {e}")))?;
    }
    Ok(())
}

pub fn man(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let cmd = Cli::command();
    write_pages(&cmd, "echoctl", dir)
}

fn write_pages(cmd: &clap::Command, name: &str, dir: &Path) -> Result<()> {
    let cmd = cmd
        .clone()
        .name(name.to_string())
        .disable_version_flag(name != "echoctl");
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut buf)?;
    std::fs::write(dir.join(format!("{name}.1")), buf)?;
    for sub in cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        write_pages(sub, &format!("{name}-{}", sub.get_name()), dir)?;
    }
    Ok(())
}
