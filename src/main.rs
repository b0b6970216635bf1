#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    echoctl::cli::main()
}
