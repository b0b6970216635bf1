# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_echoctl_global_optspecs
    string join \n db= json q/quiet color= h/help V/version
end

function __fish_echoctl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_echoctl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_echoctl_using_subcommand
    set -l cmd (__fish_echoctl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c echoctl -n "__fish_echoctl_needs_command" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_needs_command" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_needs_command" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_needs_command" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c echoctl -n "__fish_echoctl_needs_command" -s V -l version -d 'Print version'
complete -c echoctl -n "__fish_echoctl_needs_command" -f -a "init" -d 'Create a new ledger with its genesis entry and first signed checkpoint'
complete -c echoctl -n "__fish_echoctl_needs_command" -f -a "key" -d 'Manage signing keys'
complete -c echoctl -n "__fish_echoctl_needs_command" -f -a "ledger" -d 'Append to, amend, read and verify the ledger'
complete -c echoctl -n "__fish_echoctl_needs_command" -f -a "bft" -d 'Byzantine-fault-tolerant decisions among validators over TCP'
complete -c echoctl -n "__fish_echoctl_needs_command" -f -a "court" -d 'Open cases on conflicting entries and decide them with rulings that amend the ledger'
complete -c echoctl -n "__fish_echoctl_needs_command" -f -a "treasury" -d 'Record what tasks cost and return; report ROI in exact decimals'
complete -c echoctl -n "__fish_echoctl_needs_command" -f -a "watchtower" -d 'Verify the ledger and record the contradictions it can prove'
complete -c echoctl -n "__fish_echoctl_needs_command" -f -a "wealth" -d 'Exact arbitrage scans over exchange order books and paper trading under risk limits, every decision and fill in the ledger'
complete -c echoctl -n "__fish_echoctl_needs_command" -f -a "serve" -d 'Serve the ledger over HTTP: C2SP tlog-tiles, entries, receipts, consistency proofs, /health, /metrics and /openapi.json; with --tokens also POST /entries (runs until SIGTERM or SIGINT)'
complete -c echoctl -n "__fish_echoctl_needs_command" -f -a "witness" -d 'A witness on the network (c2sp.org/tlog-witness): cosigns the checkpoints of the logs it follows, each only if consistent with the last it cosigned'
complete -c echoctl -n "__fish_echoctl_needs_command" -f -a "token" -d 'Bearer tokens for \'echoctl serve --tokens\': add, list, remove'
complete -c echoctl -n "__fish_echoctl_needs_command" -f -a "emergency" -d 'Emergency powers: a signed halt, a k-of-n resume, a break-glass window of at most 15 minutes, all in the ledger'
complete -c echoctl -n "__fish_echoctl_needs_command" -f -a "generate" -d 'Write shell completions or man pages (for packagers)'
complete -c echoctl -n "__fish_echoctl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c echoctl -n "__fish_echoctl_using_subcommand init" -l origin -d 'The log\'s origin: names the ledger in checkpoints and names its key' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand init" -l key -d 'A signing key: a key file, or hsm:ID for the key with that object id in the HSM named by --hsm. Repeat it to sign the checkpoint with several keys; the first is named as the entries\' signer [env: ECHOCTL_KEY] [default: the ledger\'s default key file]' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand init" -l hsm -d 'The YubiHSM2 holding hsm:ID keys: http://HOST:PORT (yubihsm-connector) or usb[:SERIAL] [env: ECHOCTL_HSM]. Credentials come from ECHOCTL_HSM_AUTH_KEY and ECHOCTL_HSM_PASSWORD, or a prompt on a terminal' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand init" -l emergency-key -d 'Emergency powers from the start: a key of the emergency role (repeatable; needs --resume-key and --resume-quorum). Later changes need the resume quorum' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand init" -l resume-key -d 'A key of the resume quorum (repeatable)' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand init" -l resume-quorum -d 'How many distinct resume keys lift a halt (at least 2)' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand init" -l pg-writer-role -d 'PostgreSQL only: also create (if missing) the role ROLE, allowed to append and read and nothing else (no UPDATE, DELETE, TRUNCATE or DDL): grant it to CI\'s login' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand init" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand init" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand init" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand init" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand init" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and not __fish_seen_subcommand_from generate show list import add revoke rotate help" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and not __fish_seen_subcommand_from generate show list import add revoke rotate help" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and not __fish_seen_subcommand_from generate show list import add revoke rotate help" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and not __fish_seen_subcommand_from generate show list import add revoke rotate help" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and not __fish_seen_subcommand_from generate show list import add revoke rotate help" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and not __fish_seen_subcommand_from generate show list import add revoke rotate help" -f -a "generate" -d 'Generate an Ed25519 key, in a key file (mode 0600) or inside a YubiHSM2, and print its verifier key'
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and not __fish_seen_subcommand_from generate show list import add revoke rotate help" -f -a "show" -d 'Print the verifier key of a signing key (what auditors and CI pin)'
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and not __fish_seen_subcommand_from generate show list import add revoke rotate help" -f -a "list" -d 'List the keys the ledger knows: genesis keys, additions, rotations, revocations'
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and not __fish_seen_subcommand_from generate show list import add revoke rotate help" -f -a "import" -d 'Import a key file into a YubiHSM2 as a non-exportable key. A one-way door: the HSM will never give the key back; destroy the file afterwards if the HSM is to be its only holder'
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and not __fish_seen_subcommand_from generate show list import add revoke rotate help" -f -a "add" -d 'Add a signing key to the ledger (for instance a second signer during a migration)'
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and not __fish_seen_subcommand_from generate show list import add revoke rotate help" -f -a "revoke" -d 'Revoke a signing key: it may sign nothing after this entry'
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and not __fish_seen_subcommand_from generate show list import add revoke rotate help" -f -a "rotate" -d 'Rotate: add a new key and revoke an old one in one entry'
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and not __fish_seen_subcommand_from generate show list import add revoke rotate help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from generate" -l name -d 'The key name (for a ledger key: the ledger\'s origin)' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from generate" -l out -d 'Where to write the key file; never overwritten' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from generate" -l hsm -d 'Generate the key inside this YubiHSM2 instead (http://HOST:PORT or usb[:SERIAL]). Not read from ECHOCTL_HSM: where a new key lives is always said explicitly' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from generate" -l key-id -d 'The HSM object id for the new key (1-65535)' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from generate" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from generate" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from generate" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from generate" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from generate" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from show" -l key -d 'A signing key: a key file, or hsm:ID for the key with that object id in the HSM named by --hsm. Repeat it to sign the checkpoint with several keys; the first is named as the entries\' signer [env: ECHOCTL_KEY] [default: the ledger\'s default key file]' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from show" -l hsm -d 'The YubiHSM2 holding hsm:ID keys: http://HOST:PORT (yubihsm-connector) or usb[:SERIAL] [env: ECHOCTL_HSM]. Credentials come from ECHOCTL_HSM_AUTH_KEY and ECHOCTL_HSM_PASSWORD, or a prompt on a terminal' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from show" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from show" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from show" -l witness -d 'Print the key\'s witness (cosigner, type 0x04) verifier key instead'
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from show" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from show" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from list" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from list" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from list" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from list" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from import" -l hsm -d 'The YubiHSM2 (http://HOST:PORT or usb[:SERIAL]) [env: ECHOCTL_HSM]' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from import" -l key-id -d 'The HSM object id for the key (1-65535)' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from import" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from import" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from import" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from import" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from import" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from add" -l reason -d 'Why it is added' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from add" -l key -d 'A signing key: a key file, or hsm:ID for the key with that object id in the HSM named by --hsm. Repeat it to sign the checkpoint with several keys; the first is named as the entries\' signer [env: ECHOCTL_KEY] [default: the ledger\'s default key file]' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from add" -l hsm -d 'The YubiHSM2 holding hsm:ID keys: http://HOST:PORT (yubihsm-connector) or usb[:SERIAL] [env: ECHOCTL_HSM]. Credentials come from ECHOCTL_HSM_AUTH_KEY and ECHOCTL_HSM_PASSWORD, or a prompt on a terminal' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from add" -l source -d 'Who records the entries' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from add" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from add" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from add" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from add" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from revoke" -l reason -d 'Why it is revoked' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from revoke" -l key -d 'A signing key: a key file, or hsm:ID for the key with that object id in the HSM named by --hsm. Repeat it to sign the checkpoint with several keys; the first is named as the entries\' signer [env: ECHOCTL_KEY] [default: the ledger\'s default key file]' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from revoke" -l hsm -d 'The YubiHSM2 holding hsm:ID keys: http://HOST:PORT (yubihsm-connector) or usb[:SERIAL] [env: ECHOCTL_HSM]. Credentials come from ECHOCTL_HSM_AUTH_KEY and ECHOCTL_HSM_PASSWORD, or a prompt on a terminal' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from revoke" -l source -d 'Who records the entries' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from revoke" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from revoke" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from revoke" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from revoke" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from revoke" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from rotate" -l replaces -d 'The key it replaces (verifier key or identity; default: the signing key)' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from rotate" -l reason -d 'Why' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from rotate" -l key -d 'A signing key: a key file, or hsm:ID for the key with that object id in the HSM named by --hsm. Repeat it to sign the checkpoint with several keys; the first is named as the entries\' signer [env: ECHOCTL_KEY] [default: the ledger\'s default key file]' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from rotate" -l hsm -d 'The YubiHSM2 holding hsm:ID keys: http://HOST:PORT (yubihsm-connector) or usb[:SERIAL] [env: ECHOCTL_HSM]. Credentials come from ECHOCTL_HSM_AUTH_KEY and ECHOCTL_HSM_PASSWORD, or a prompt on a terminal' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from rotate" -l source -d 'Who records the entries' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from rotate" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from rotate" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from rotate" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from rotate" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from rotate" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "generate" -d 'Generate an Ed25519 key, in a key file (mode 0600) or inside a YubiHSM2, and print its verifier key'
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "show" -d 'Print the verifier key of a signing key (what auditors and CI pin)'
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the keys the ledger knows: genesis keys, additions, rotations, revocations'
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "import" -d 'Import a key file into a YubiHSM2 as a non-exportable key. A one-way door: the HSM will never give the key back; destroy the file afterwards if the HSM is to be its only holder'
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "add" -d 'Add a signing key to the ledger (for instance a second signer during a migration)'
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "revoke" -d 'Revoke a signing key: it may sign nothing after this entry'
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "rotate" -d 'Rotate: add a new key and revoke an old one in one entry'
complete -c echoctl -n "__fish_echoctl_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and not __fish_seen_subcommand_from append amend verify log show checkpoint proof consistency export import copy tiles mirror witness reader help" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and not __fish_seen_subcommand_from append amend verify log show checkpoint proof consistency export import copy tiles mirror witness reader help" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and not __fish_seen_subcommand_from append amend verify log show checkpoint proof consistency export import copy tiles mirror witness reader help" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and not __fish_seen_subcommand_from append amend verify log show checkpoint proof consistency export import copy tiles mirror witness reader help" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and not __fish_seen_subcommand_from append amend verify log show checkpoint proof consistency export import copy tiles mirror witness reader help" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and not __fish_seen_subcommand_from append amend verify log show checkpoint proof consistency export import copy tiles mirror witness reader help" -f -a "append" -d 'Append entries: one from --content, or many from --batch in one transaction'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and not __fish_seen_subcommand_from append amend verify log show checkpoint proof consistency export import copy tiles mirror witness reader help" -f -a "amend" -d 'Append an amendment to an earlier entry (the entry itself is never changed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and not __fish_seen_subcommand_from append amend verify log show checkpoint proof consistency export import copy tiles mirror witness reader help" -f -a "verify" -d 'Verify everything from the stored bytes; exit 1 on any tampering'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and not __fish_seen_subcommand_from append amend verify log show checkpoint proof consistency export import copy tiles mirror witness reader help" -f -a "log" -d 'List entries'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and not __fish_seen_subcommand_from append amend verify log show checkpoint proof consistency export import copy tiles mirror witness reader help" -f -a "show" -d 'Show one entry, its amendments and its effective state'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and not __fish_seen_subcommand_from append amend verify log show checkpoint proof consistency export import copy tiles mirror witness reader help" -f -a "checkpoint" -d 'Print the latest signed checkpoint (C2SP signed note), or store witness cosignatures'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and not __fish_seen_subcommand_from append amend verify log show checkpoint proof consistency export import copy tiles mirror witness reader help" -f -a "proof" -d 'Write a receipt for one entry (C2SP tlog-proof), or verify one offline'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and not __fish_seen_subcommand_from append amend verify log show checkpoint proof consistency export import copy tiles mirror witness reader help" -f -a "consistency" -d 'Prove that the ledger extends an earlier checkpoint, or verify such a proof offline'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and not __fish_seen_subcommand_from append amend verify log show checkpoint proof consistency export import copy tiles mirror witness reader help" -f -a "export" -d 'Write the whole ledger to one portable bundle file that verifies without SQLite'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and not __fish_seen_subcommand_from append amend verify log show checkpoint proof consistency export import copy tiles mirror witness reader help" -f -a "import" -d 'Rebuild a ledger (at --db, which must not exist) from a bundle that verifies'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and not __fish_seen_subcommand_from append amend verify log show checkpoint proof consistency export import copy tiles mirror witness reader help" -f -a "copy" -d 'Copy a ledger into another, between any two engines (PostgreSQL to a SQLite file and back): only what the destination lacks, refusing one that has diverged, then verify it'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and not __fish_seen_subcommand_from append amend verify log show checkpoint proof consistency export import copy tiles mirror witness reader help" -f -a "tiles" -d 'Write the ledger as C2SP tlog-tiles (checkpoint, hash tiles, entry bundles) into DIR, for any static web server; a second run writes only what the tree grew'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and not __fish_seen_subcommand_from append amend verify log show checkpoint proof consistency export import copy tiles mirror witness reader help" -f -a "mirror" -d 'Keep a verified local copy (--db) of a log served as tlog-tiles: only what is new, committed only when the whole log verifies; a log that rewrote history is refused'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and not __fish_seen_subcommand_from append amend verify log show checkpoint proof consistency export import copy tiles mirror witness reader help" -f -a "witness" -d 'Act as a witness: cosign checkpoints that are consistent with what it saw before'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and not __fish_seen_subcommand_from append amend verify log show checkpoint proof consistency export import copy tiles mirror witness reader help" -f -a "reader" -d 'Compile the Reader Edition: the ledger as it stands, amendments applied, with trace links'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and not __fish_seen_subcommand_from append amend verify log show checkpoint proof consistency export import copy tiles mirror witness reader help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from append" -l kind -d 'Entry kind: observation, decision, outcome, constraint or test' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from append" -l source -d 'Who or what recorded the entry (default for batch lines without one)' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from append" -l content -d 'The content: a JSON object, or \'-\' to read it from stdin' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from append" -l content-file -d 'Read the content (a JSON object) from a file' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from append" -l ref -d 'An earlier entry this one refers to (repeatable)' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from append" -l batch -d 'JSON Lines, one entry per line ({"kind","content","source"?,"refs"?}); \'-\' for stdin' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from append" -l key -d 'A signing key: a key file, or hsm:ID for the key with that object id in the HSM named by --hsm. Repeat it to sign the checkpoint with several keys; the first is named as the entries\' signer [env: ECHOCTL_KEY] [default: the ledger\'s default key file]' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from append" -l hsm -d 'The YubiHSM2 holding hsm:ID keys: http://HOST:PORT (yubihsm-connector) or usb[:SERIAL] [env: ECHOCTL_HSM]. Credentials come from ECHOCTL_HSM_AUTH_KEY and ECHOCTL_HSM_PASSWORD, or a prompt on a terminal' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from append" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from append" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from append" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from append" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from append" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from amend" -l type -d 'What kind of amendment' -r -f -a "clarification\t''
correction\t''
supersession\t''
withdrawal\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from amend" -l reason -d 'Why the amendment is made' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from amend" -l content -d 'Corrected content (correction) or added content (clarification): a JSON object' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from amend" -l superseded-by -d 'The entry that replaces the target (supersession)' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from amend" -l source -d 'Who makes the amendment' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from amend" -l key -d 'A signing key: a key file, or hsm:ID for the key with that object id in the HSM named by --hsm. Repeat it to sign the checkpoint with several keys; the first is named as the entries\' signer [env: ECHOCTL_KEY] [default: the ledger\'s default key file]' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from amend" -l hsm -d 'The YubiHSM2 holding hsm:ID keys: http://HOST:PORT (yubihsm-connector) or usb[:SERIAL] [env: ECHOCTL_HSM]. Credentials come from ECHOCTL_HSM_AUTH_KEY and ECHOCTL_HSM_PASSWORD, or a prompt on a terminal' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from amend" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from amend" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from amend" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from amend" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from amend" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l trust-key -d 'A verifier key every checkpoint must be signed by (repeatable)' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l trust-checkpoint -d 'A checkpoint (signed note file) the ledger must extend' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l since -d 'Incremental: prove the ledger extends this trusted checkpoint and re-check only the entries after it' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l trust-witness -d 'A witness verifier key (type 0x04) whose cosignatures count (repeatable)' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l witness-quorum -d 'How many trusted witnesses must have cosigned the newest checkpoint (default 1 with --trust-witness)' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l policy -d 'A C2SP tlog-policy file: trusted logs, witnesses and the cosignature quorum' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l bundle -d 'Verify an export bundle instead of the ledger file (\'-\' for stdin)' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l tiles -d 'Verify a log from its tlog-tiles alone (\'ledger tiles\' output, or a copy of one)' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l url -d 'Verify a served log from its tlog-tiles alone (\'echoctl serve\', or any static host of \'ledger tiles\' output): the base URL under which /checkpoint is served' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l state -d 'With --tiles or --url: the verifier\'s memory of the log; only what is new since the run that wrote it is read, and a log that rewrote history fails (created when missing, updated when the log verifies)' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from verify" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from verify" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from verify" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from log" -l kind -d 'Only entries of this kind' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from log" -l since -d 'Only entries after this entry id, or stamped at or after this RFC 3339 time' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from log" -l limit -d 'At most this many entries' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from log" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from log" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from log" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from log" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from log" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from show" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from show" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from show" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from show" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from checkpoint" -l add-cosignature -d 'Store the witness cosignature line(s) in FILE (\'-\' for stdin) with the checkpoint; each must verify for it under a --witness-key' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from checkpoint" -l witness-key -d 'A witness verifier key (type 0x04, \'echoctl key show --witness\') whose cosignatures --add-cosignature accepts, or the key of the --witness given in the same place (repeatable)' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from checkpoint" -l witness -d 'Ask the witness at this URL (c2sp.org/tlog-witness) to cosign the newest checkpoint, and store its cosignature; the n-th --witness is checked with the n-th --witness-key (repeatable)' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from checkpoint" -l size -d 'The checkpoint of this tree size (default: the newest)' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from checkpoint" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from checkpoint" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from checkpoint" -l ask-witnesses -d 'Ask the witnesses of the config file ([[witness]] with url and key) instead'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from checkpoint" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from checkpoint" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from checkpoint" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from proof" -l size -d 'Prove against the checkpoint of this tree size (default: the newest)' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from proof" -l out -d 'Write the receipt to FILE instead of stdout' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from proof" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from proof" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from proof" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from proof" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from proof" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from proof" -a "verify" -d 'Verify a receipt with no ledger: the entry, its inclusion, the checkpoint\'s signature'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from proof" -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from consistency" -l from -d 'The earlier checkpoint (a signed note file)' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from consistency" -l to -d 'The later checkpoint (default: the ledger\'s newest)' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from consistency" -l out -d 'Write the proof to FILE instead of stdout' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from consistency" -l verify -d 'Verify this consistency proof offline instead' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from consistency" -l trust-key -d 'A log verifier key the checkpoint must be signed by (repeatable)' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from consistency" -l policy -d 'A C2SP tlog-policy file: trusted logs, witnesses and the cosignature quorum' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from consistency" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from consistency" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from consistency" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from consistency" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from consistency" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from export" -l out -d 'The bundle file (written atomically); \'-\' for stdout' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from export" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from export" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from export" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from export" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from export" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from import" -l trust-key -d 'A verifier key the bundle\'s checkpoints must be signed by (repeatable)' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from import" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from import" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from import" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from import" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from import" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from copy" -l from -d 'The source: a file or a postgres:// URL [default: --db]' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from copy" -l to -d 'The destination: a file or a postgres:// URL (created when missing)' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from copy" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from copy" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from copy" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from copy" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from copy" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from tiles" -l out -d 'The directory (created when missing)' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from tiles" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from tiles" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from tiles" -l no-sync -d 'Do not wait for each file to reach the disk before renaming it into place'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from tiles" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from tiles" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from tiles" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from mirror" -l url -d 'The log\'s base URL (under which /checkpoint is served)' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from mirror" -l trust-key -d 'A log verifier key the checkpoint must be signed by (repeatable)' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from mirror" -l policy -d 'A C2SP tlog-policy file: trusted logs, witnesses and the cosignature quorum' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from mirror" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from mirror" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from mirror" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from mirror" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from mirror" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from witness" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from witness" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from witness" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from witness" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from witness" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from witness" -f -a "cosign" -d 'Print a cosignature/v1 line for CHECKPOINT if it is consistent with the last one this witness cosigned for its log (exit 1 on a stale or inconsistent checkpoint)'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from witness" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from reader" -l format -d 'Output format (default md; json with --json)' -r -f -a "md\t''
html\t''
json\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from reader" -l out -d 'Write the edition to FILE (atomically) instead of stdout' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from reader" -l at -d 'Compile the edition as it stood at the checkpoint of this tree size' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from reader" -l kind -d 'Only entries of this kind (repeatable)' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from reader" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from reader" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from reader" -l force -d 'Compile even if the ledger fails verification; the edition says so on its first line'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from reader" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from reader" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from reader" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from help" -f -a "append" -d 'Append entries: one from --content, or many from --batch in one transaction'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from help" -f -a "amend" -d 'Append an amendment to an earlier entry (the entry itself is never changed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from help" -f -a "verify" -d 'Verify everything from the stored bytes; exit 1 on any tampering'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from help" -f -a "log" -d 'List entries'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show one entry, its amendments and its effective state'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from help" -f -a "checkpoint" -d 'Print the latest signed checkpoint (C2SP signed note), or store witness cosignatures'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from help" -f -a "proof" -d 'Write a receipt for one entry (C2SP tlog-proof), or verify one offline'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from help" -f -a "consistency" -d 'Prove that the ledger extends an earlier checkpoint, or verify such a proof offline'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from help" -f -a "export" -d 'Write the whole ledger to one portable bundle file that verifies without SQLite'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from help" -f -a "import" -d 'Rebuild a ledger (at --db, which must not exist) from a bundle that verifies'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from help" -f -a "copy" -d 'Copy a ledger into another, between any two engines (PostgreSQL to a SQLite file and back): only what the destination lacks, refusing one that has diverged, then verify it'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from help" -f -a "tiles" -d 'Write the ledger as C2SP tlog-tiles (checkpoint, hash tiles, entry bundles) into DIR, for any static web server; a second run writes only what the tree grew'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from help" -f -a "mirror" -d 'Keep a verified local copy (--db) of a log served as tlog-tiles: only what is new, committed only when the whole log verifies; a log that rewrote history is refused'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from help" -f -a "witness" -d 'Act as a witness: cosign checkpoints that are consistent with what it saw before'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from help" -f -a "reader" -d 'Compile the Reader Edition: the ledger as it stands, amendments applied, with trace links'
complete -c echoctl -n "__fish_echoctl_using_subcommand ledger; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and not __fish_seen_subcommand_from serve propose vote pending status help" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and not __fish_seen_subcommand_from serve propose vote pending status help" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and not __fish_seen_subcommand_from serve propose vote pending status help" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and not __fish_seen_subcommand_from serve propose vote pending status help" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and not __fish_seen_subcommand_from serve propose vote pending status help" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and not __fish_seen_subcommand_from serve propose vote pending status help" -f -a "serve" -d 'Run a validator: decide proposals with the other validators, record each decision with its certificate in this ledger (--db). Runs until stopped'
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and not __fish_seen_subcommand_from serve propose vote pending status help" -f -a "propose" -d 'Submit a proposal, wait for the decision and print it with its certificate. Exit 0 approved, 1 rejected or not decided in time, 3 no quorum reachable'
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and not __fish_seen_subcommand_from serve propose vote pending status help" -f -a "vote" -d 'Give this operator\'s judgement on a pending proposal (a node with --policy manual)'
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and not __fish_seen_subcommand_from serve propose vote pending status help" -f -a "pending" -d 'Proposals waiting for this operator\'s judgement'
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and not __fish_seen_subcommand_from serve propose vote pending status help" -f -a "status" -d 'Validators, whether they answer, rounds in progress and recent decisions'
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and not __fish_seen_subcommand_from serve propose vote pending status help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from serve" -l validators -d 'The validators file (TOML) [env: ECHOCTL_BFT_VALIDATORS]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from serve" -l key -d 'A signing key: a key file, or hsm:ID for the key with that object id in the HSM named by --hsm. Repeat it to sign the checkpoint with several keys; the first is named as the entries\' signer [env: ECHOCTL_KEY] [default: the ledger\'s default key file]' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from serve" -l hsm -d 'The YubiHSM2 holding hsm:ID keys: http://HOST:PORT (yubihsm-connector) or usb[:SERIAL] [env: ECHOCTL_HSM]. Credentials come from ECHOCTL_HSM_AUTH_KEY and ECHOCTL_HSM_PASSWORD, or a prompt on a terminal' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from serve" -l listen -d 'Where to listen (default: this validator\'s address in the file)' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from serve" -l policy -d 'auto: approve what passes the checks (docs/PROTOCOL.md §6); manual: wait for \'echoctl bft vote\'' -r -f -a "auto\t''
manual\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from serve" -l metrics -d 'Serve Prometheus metrics over HTTP on this address' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from serve" -l timeout-ms -d 'The first round\'s timeout in milliseconds (it grows by half of it per round)' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from serve" -l release-after -d 'Release an undecided subject that no other validator has voted on for this many seconds: its budget is freed and it may be submitted again (docs/PROTOCOL.md §7)' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from serve" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from serve" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from serve" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from serve" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from serve" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from propose" -l validators -d 'The validators file (TOML) [env: ECHOCTL_BFT_VALIDATORS]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from propose" -l subject -d 'What is decided (1 to 256 bytes); one decision per subject, ever. Default with --new-validators: validator-set/CLUSTER/epoch-N' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from propose" -l content -d 'The proposal: a JSON object' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from propose" -l new-validators -d 'Propose moving to this validators file (the next epoch of the same cluster): the current set decides it like any proposal' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from propose" -l timeout -d 'How long to wait for the decision, in seconds' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from propose" -l key -d 'Sign the proposal with this proposer key (a key file, or hsm:ID with --hsm): required by validators whose file lists proposers' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from propose" -l hsm -d 'The YubiHSM2 holding an hsm:ID key [env: ECHOCTL_HSM]' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from propose" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from propose" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from propose" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from propose" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from propose" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from vote" -l reason -d 'Why (kept by the operator\'s shell history, not sent into the ledger)' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from vote" -l node -d 'The operator\'s own node [env: ECHOCTL_BFT_NODE]' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from vote" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from vote" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from vote" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from vote" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from vote" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from pending" -l node -d 'The operator\'s own node [env: ECHOCTL_BFT_NODE]' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from pending" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from pending" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from pending" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from pending" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from pending" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from status" -l validators -d 'The validators file (TOML) [env: ECHOCTL_BFT_VALIDATORS]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from status" -l timeout -d 'How long to wait for all the answers, in seconds' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from status" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from status" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from status" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from status" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from help" -f -a "serve" -d 'Run a validator: decide proposals with the other validators, record each decision with its certificate in this ledger (--db). Runs until stopped'
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from help" -f -a "propose" -d 'Submit a proposal, wait for the decision and print it with its certificate. Exit 0 approved, 1 rejected or not decided in time, 3 no quorum reachable'
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from help" -f -a "vote" -d 'Give this operator\'s judgement on a pending proposal (a node with --policy manual)'
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from help" -f -a "pending" -d 'Proposals waiting for this operator\'s judgement'
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from help" -f -a "status" -d 'Validators, whether they answer, rounds in progress and recent decisions'
complete -c echoctl -n "__fish_echoctl_using_subcommand bft; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and not __fish_seen_subcommand_from open list show rule help" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and not __fish_seen_subcommand_from open list show rule help" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and not __fish_seen_subcommand_from open list show rule help" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and not __fish_seen_subcommand_from open list show rule help" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and not __fish_seen_subcommand_from open list show rule help" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and not __fish_seen_subcommand_from open list show rule help" -f -a "open" -d 'Open a case about two or more conflicting entries'
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and not __fish_seen_subcommand_from open list show rule help" -f -a "list" -d 'List cases'
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and not __fish_seen_subcommand_from open list show rule help" -f -a "show" -d 'Show a case, the current state of its entries, and its ruling'
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and not __fish_seen_subcommand_from open list show rule help" -f -a "rule" -d 'Decide a case: a ruling and the amendments it orders, in one transaction'
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and not __fish_seen_subcommand_from open list show rule help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and __fish_seen_subcommand_from open" -l entry -d 'An entry of the case (id or seq; repeat for each)' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and __fish_seen_subcommand_from open" -l description -d 'What the conflict is' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and __fish_seen_subcommand_from open" -l key -d 'A signing key: a key file, or hsm:ID for the key with that object id in the HSM named by --hsm. Repeat it to sign the checkpoint with several keys; the first is named as the entries\' signer [env: ECHOCTL_KEY] [default: the ledger\'s default key file]' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and __fish_seen_subcommand_from open" -l hsm -d 'The YubiHSM2 holding hsm:ID keys: http://HOST:PORT (yubihsm-connector) or usb[:SERIAL] [env: ECHOCTL_HSM]. Credentials come from ECHOCTL_HSM_AUTH_KEY and ECHOCTL_HSM_PASSWORD, or a prompt on a terminal' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and __fish_seen_subcommand_from open" -l source -d 'Who records the entries' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and __fish_seen_subcommand_from open" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and __fish_seen_subcommand_from open" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and __fish_seen_subcommand_from open" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and __fish_seen_subcommand_from open" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and __fish_seen_subcommand_from open" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and __fish_seen_subcommand_from list" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and __fish_seen_subcommand_from list" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and __fish_seen_subcommand_from list" -l open -d 'Only open cases'
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and __fish_seen_subcommand_from list" -l closed -d 'Only decided cases'
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and __fish_seen_subcommand_from list" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and __fish_seen_subcommand_from list" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and __fish_seen_subcommand_from show" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and __fish_seen_subcommand_from show" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and __fish_seen_subcommand_from show" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and __fish_seen_subcommand_from show" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and __fish_seen_subcommand_from rule" -l decision -d 'What the court decided' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and __fish_seen_subcommand_from rule" -l reasoning -d 'Why' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and __fish_seen_subcommand_from rule" -l amend -d 'An entry of the case to amend; the --type, --content and --superseded-by after it belong to it (repeatable)' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and __fish_seen_subcommand_from rule" -l type -d 'The amendment type for the preceding --amend' -r -f -a "clarification\t''
correction\t''
supersession\t''
withdrawal\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and __fish_seen_subcommand_from rule" -l content -d 'Content (a JSON object) for the preceding --amend' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and __fish_seen_subcommand_from rule" -l superseded-by -d 'The replacement for a supersession, for the preceding --amend' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and __fish_seen_subcommand_from rule" -l quorum -d 'Have the BFT validators of this file decide the ruling first; it is written only if they approve it, with their certificate (exit 1 if they reject it or do not decide in time, 3 without a quorum)' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and __fish_seen_subcommand_from rule" -l timeout -d 'How long to wait for the validators, in seconds' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and __fish_seen_subcommand_from rule" -l key -d 'A signing key: a key file, or hsm:ID for the key with that object id in the HSM named by --hsm. Repeat it to sign the checkpoint with several keys; the first is named as the entries\' signer [env: ECHOCTL_KEY] [default: the ledger\'s default key file]' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and __fish_seen_subcommand_from rule" -l hsm -d 'The YubiHSM2 holding hsm:ID keys: http://HOST:PORT (yubihsm-connector) or usb[:SERIAL] [env: ECHOCTL_HSM]. Credentials come from ECHOCTL_HSM_AUTH_KEY and ECHOCTL_HSM_PASSWORD, or a prompt on a terminal' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and __fish_seen_subcommand_from rule" -l source -d 'Who records the entries' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and __fish_seen_subcommand_from rule" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and __fish_seen_subcommand_from rule" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and __fish_seen_subcommand_from rule" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and __fish_seen_subcommand_from rule" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and __fish_seen_subcommand_from rule" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and __fish_seen_subcommand_from help" -f -a "open" -d 'Open a case about two or more conflicting entries'
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and __fish_seen_subcommand_from help" -f -a "list" -d 'List cases'
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show a case, the current state of its entries, and its ruling'
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and __fish_seen_subcommand_from help" -f -a "rule" -d 'Decide a case: a ruling and the amendments it orders, in one transaction'
complete -c echoctl -n "__fish_echoctl_using_subcommand court; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c echoctl -n "__fish_echoctl_using_subcommand treasury; and not __fish_seen_subcommand_from record settle roi help" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand treasury; and not __fish_seen_subcommand_from record settle roi help" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand treasury; and not __fish_seen_subcommand_from record settle roi help" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand treasury; and not __fish_seen_subcommand_from record settle roi help" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand treasury; and not __fish_seen_subcommand_from record settle roi help" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand treasury; and not __fish_seen_subcommand_from record settle roi help" -f -a "record" -d 'Record a task with its cost, risk and expected value'
complete -c echoctl -n "__fish_echoctl_using_subcommand treasury; and not __fish_seen_subcommand_from record settle roi help" -f -a "settle" -d 'Settle a task with the value it actually returned'
complete -c echoctl -n "__fish_echoctl_using_subcommand treasury; and not __fish_seen_subcommand_from record settle roi help" -f -a "roi" -d 'Cost, expected and actual value, and ROI of every task (or one)'
complete -c echoctl -n "__fish_echoctl_using_subcommand treasury; and not __fish_seen_subcommand_from record settle roi help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c echoctl -n "__fish_echoctl_using_subcommand treasury; and __fish_seen_subcommand_from record" -l task -r
complete -c echoctl -n "__fish_echoctl_using_subcommand treasury; and __fish_seen_subcommand_from record" -l cost -d 'The cost, a plain decimal (e.g. 1250.00)' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand treasury; and __fish_seen_subcommand_from record" -l risk -r -f -a "low\t''
medium\t''
high\t''
critical\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand treasury; and __fish_seen_subcommand_from record" -l expected-value -d 'The value expected, a plain decimal' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand treasury; and __fish_seen_subcommand_from record" -l proof-burden -d 'What evidence will show the value was delivered' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand treasury; and __fish_seen_subcommand_from record" -l key -d 'A signing key: a key file, or hsm:ID for the key with that object id in the HSM named by --hsm. Repeat it to sign the checkpoint with several keys; the first is named as the entries\' signer [env: ECHOCTL_KEY] [default: the ledger\'s default key file]' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand treasury; and __fish_seen_subcommand_from record" -l hsm -d 'The YubiHSM2 holding hsm:ID keys: http://HOST:PORT (yubihsm-connector) or usb[:SERIAL] [env: ECHOCTL_HSM]. Credentials come from ECHOCTL_HSM_AUTH_KEY and ECHOCTL_HSM_PASSWORD, or a prompt on a terminal' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand treasury; and __fish_seen_subcommand_from record" -l source -d 'Who records the entries' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand treasury; and __fish_seen_subcommand_from record" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand treasury; and __fish_seen_subcommand_from record" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand treasury; and __fish_seen_subcommand_from record" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand treasury; and __fish_seen_subcommand_from record" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand treasury; and __fish_seen_subcommand_from record" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand treasury; and __fish_seen_subcommand_from settle" -l actual-value -r
complete -c echoctl -n "__fish_echoctl_using_subcommand treasury; and __fish_seen_subcommand_from settle" -l key -d 'A signing key: a key file, or hsm:ID for the key with that object id in the HSM named by --hsm. Repeat it to sign the checkpoint with several keys; the first is named as the entries\' signer [env: ECHOCTL_KEY] [default: the ledger\'s default key file]' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand treasury; and __fish_seen_subcommand_from settle" -l hsm -d 'The YubiHSM2 holding hsm:ID keys: http://HOST:PORT (yubihsm-connector) or usb[:SERIAL] [env: ECHOCTL_HSM]. Credentials come from ECHOCTL_HSM_AUTH_KEY and ECHOCTL_HSM_PASSWORD, or a prompt on a terminal' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand treasury; and __fish_seen_subcommand_from settle" -l source -d 'Who records the entries' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand treasury; and __fish_seen_subcommand_from settle" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand treasury; and __fish_seen_subcommand_from settle" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand treasury; and __fish_seen_subcommand_from settle" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand treasury; and __fish_seen_subcommand_from settle" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand treasury; and __fish_seen_subcommand_from settle" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand treasury; and __fish_seen_subcommand_from roi" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand treasury; and __fish_seen_subcommand_from roi" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand treasury; and __fish_seen_subcommand_from roi" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand treasury; and __fish_seen_subcommand_from roi" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand treasury; and __fish_seen_subcommand_from roi" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand treasury; and __fish_seen_subcommand_from help" -f -a "record" -d 'Record a task with its cost, risk and expected value'
complete -c echoctl -n "__fish_echoctl_using_subcommand treasury; and __fish_seen_subcommand_from help" -f -a "settle" -d 'Settle a task with the value it actually returned'
complete -c echoctl -n "__fish_echoctl_using_subcommand treasury; and __fish_seen_subcommand_from help" -f -a "roi" -d 'Cost, expected and actual value, and ROI of every task (or one)'
complete -c echoctl -n "__fish_echoctl_using_subcommand treasury; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c echoctl -n "__fish_echoctl_using_subcommand watchtower; and not __fish_seen_subcommand_from scan help" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand watchtower; and not __fish_seen_subcommand_from scan help" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand watchtower; and not __fish_seen_subcommand_from scan help" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand watchtower; and not __fish_seen_subcommand_from scan help" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand watchtower; and not __fish_seen_subcommand_from scan help" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand watchtower; and not __fish_seen_subcommand_from scan help" -f -a "scan" -d 'Verify, find contradictions and constraint violations, record new findings'
complete -c echoctl -n "__fish_echoctl_using_subcommand watchtower; and not __fish_seen_subcommand_from scan help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c echoctl -n "__fish_echoctl_using_subcommand watchtower; and __fish_seen_subcommand_from scan" -l fail-on -d 'Exit 1 when a finding is at least this severe' -r -f -a "low\t''
medium\t''
high\t''
critical\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand watchtower; and __fish_seen_subcommand_from scan" -l key -d 'A signing key: a key file, or hsm:ID for the key with that object id in the HSM named by --hsm. Repeat it to sign the checkpoint with several keys; the first is named as the entries\' signer [env: ECHOCTL_KEY] [default: the ledger\'s default key file]' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand watchtower; and __fish_seen_subcommand_from scan" -l hsm -d 'The YubiHSM2 holding hsm:ID keys: http://HOST:PORT (yubihsm-connector) or usb[:SERIAL] [env: ECHOCTL_HSM]. Credentials come from ECHOCTL_HSM_AUTH_KEY and ECHOCTL_HSM_PASSWORD, or a prompt on a terminal' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand watchtower; and __fish_seen_subcommand_from scan" -l source -d 'Who records the entries' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand watchtower; and __fish_seen_subcommand_from scan" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand watchtower; and __fish_seen_subcommand_from scan" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand watchtower; and __fish_seen_subcommand_from scan" -l open-cases -d 'Open a court case for each new finding'
complete -c echoctl -n "__fish_echoctl_using_subcommand watchtower; and __fish_seen_subcommand_from scan" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand watchtower; and __fish_seen_subcommand_from scan" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand watchtower; and __fish_seen_subcommand_from scan" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand watchtower; and __fish_seen_subcommand_from help" -f -a "scan" -d 'Verify, find contradictions and constraint violations, record new findings'
complete -c echoctl -n "__fish_echoctl_using_subcommand watchtower; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and not __fish_seen_subcommand_from record scan trade replay pnl reset-kill-switch help" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and not __fish_seen_subcommand_from record scan trade replay pnl reset-kill-switch help" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and not __fish_seen_subcommand_from record scan trade replay pnl reset-kill-switch help" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and not __fish_seen_subcommand_from record scan trade replay pnl reset-kill-switch help" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and not __fish_seen_subcommand_from record scan trade replay pnl reset-kill-switch help" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and not __fish_seen_subcommand_from record scan trade replay pnl reset-kill-switch help" -f -a "record" -d 'Record market lists and order books into a snapshot bundle (raw bodies verbatim)'
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and not __fish_seen_subcommand_from record scan trade replay pnl reset-kill-switch help" -f -a "scan" -d 'Find profitable cycles, sized exactly against book depth; exit 1 when none'
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and not __fish_seen_subcommand_from record scan trade replay pnl reset-kill-switch help" -f -a "trade" -d 'Paper-trade an opportunity under the risk limits; every fill goes into the ledger'
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and not __fish_seen_subcommand_from record scan trade replay pnl reset-kill-switch help" -f -a "replay" -d 'Recompute every recorded trade from the ledger and its snapshots; exit 1 on any difference'
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and not __fish_seen_subcommand_from record scan trade replay pnl reset-kill-switch help" -f -a "pnl" -d 'Realised profit and loss of every recorded trade, and the totals per asset'
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and not __fish_seen_subcommand_from record scan trade replay pnl reset-kill-switch help" -f -a "reset-kill-switch" -d 'Clear a latched kill switch, recording why'
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and not __fish_seen_subcommand_from record scan trade replay pnl reset-kill-switch help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from record" -l exchange -d 'Fetch live from this venue\'s public REST API (repeat for several). Base URLs: ECHOCTL_BINANCE_URL, ECHOCTL_KRAKEN_URL, ECHOCTL_COINBASE_URL' -r -f -a "binance\t''
kraken\t''
coinbase\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from record" -l symbols -d 'Markets to fetch, as BASE/QUOTE (comma-separated), mapped through each venue\'s market list. Default: every market between two of --assets' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from record" -l assets -d 'Assets whose markets are fetched when --symbols is not given' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from record" -l depth -d 'Levels per side to fetch' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from record" -l timeout-ms -d 'Time-out of one request, connection to last byte' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from record" -l retries -d 'Retries after a time-out, a connection error, HTTP 5xx or 429 (with backoff)' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from record" -l max-wait -d 'The longest Retry-After or rate-limit wait honoured before giving up' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from record" -l pace-ms -d 'Minimum gap between requests to one venue. Default: the venue\'s public rate (Kraken 1000, Coinbase 100, Binance by request weight)' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from record" -l rounds -d 'Passes over the books (for --latency fills against later books)' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from record" -l interval-ms -d 'Pause between rounds' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from record" -l out -d 'Where to write the bundle' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from record" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from record" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from record" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from record" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from record" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from scan" -l exchange -d 'Fetch live from this venue\'s public REST API (repeat for several). Base URLs: ECHOCTL_BINANCE_URL, ECHOCTL_KRAKEN_URL, ECHOCTL_COINBASE_URL' -r -f -a "binance\t''
kraken\t''
coinbase\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from scan" -l symbols -d 'Markets to fetch, as BASE/QUOTE (comma-separated), mapped through each venue\'s market list. Default: every market between two of --assets' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from scan" -l assets -d 'Assets whose markets are fetched when --symbols is not given' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from scan" -l depth -d 'Levels per side to fetch' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from scan" -l timeout-ms -d 'Time-out of one request, connection to last byte' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from scan" -l retries -d 'Retries after a time-out, a connection error, HTTP 5xx or 429 (with backoff)' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from scan" -l max-wait -d 'The longest Retry-After or rate-limit wait honoured before giving up' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from scan" -l pace-ms -d 'Minimum gap between requests to one venue. Default: the venue\'s public rate (Kraken 1000, Coinbase 100, Binance by request weight)' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from scan" -l snapshot -d 'Run offline from a snapshot bundle written by \'wealth record\'' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from scan" -l min-profit -d 'Smallest net profit reported, in basis points of the size' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from scan" -l capital -d 'Capital, in --asset: the position limit is --max-position of it' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from scan" -l asset -d 'The asset cycles start and end in' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from scan" -l max-legs -d 'Longest cycle: 3 (cross-venue pairs and triangles) or 4 (and four-leg cycles)' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from scan" -l fees -d 'Fee schedule (TOML) overriding the defaults; see the README' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from scan" -l max-position -d 'Largest position per cycle, as a fraction of capital' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from scan" -l max-age-ms -d 'A book older than this (against the newest book scanned) is rejected as stale' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from scan" -l max-skew-ms -d 'A cycle whose books were fetched further apart than this is rejected' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from scan" -l round -d 'The recording round of the snapshot to scan' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from scan" -l limit -d 'Opportunities listed at most' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from scan" -l key -d 'A signing key: a key file, or hsm:ID for the key with that object id in the HSM named by --hsm. Repeat it to sign the checkpoint with several keys; the first is named as the entries\' signer [env: ECHOCTL_KEY] [default: the ledger\'s default key file]' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from scan" -l hsm -d 'The YubiHSM2 holding hsm:ID keys: http://HOST:PORT (yubihsm-connector) or usb[:SERIAL] [env: ECHOCTL_HSM]. Credentials come from ECHOCTL_HSM_AUTH_KEY and ECHOCTL_HSM_PASSWORD, or a prompt on a terminal' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from scan" -l source -d 'Who records the entries' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from scan" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from scan" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from scan" -l record -d 'Also record the scan decision in the ledger'
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from scan" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from scan" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from scan" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from trade" -l exchange -d 'Fetch live from this venue\'s public REST API (repeat for several). Base URLs: ECHOCTL_BINANCE_URL, ECHOCTL_KRAKEN_URL, ECHOCTL_COINBASE_URL' -r -f -a "binance\t''
kraken\t''
coinbase\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from trade" -l symbols -d 'Markets to fetch, as BASE/QUOTE (comma-separated), mapped through each venue\'s market list. Default: every market between two of --assets' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from trade" -l assets -d 'Assets whose markets are fetched when --symbols is not given' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from trade" -l depth -d 'Levels per side to fetch' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from trade" -l timeout-ms -d 'Time-out of one request, connection to last byte' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from trade" -l retries -d 'Retries after a time-out, a connection error, HTTP 5xx or 429 (with backoff)' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from trade" -l max-wait -d 'The longest Retry-After or rate-limit wait honoured before giving up' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from trade" -l pace-ms -d 'Minimum gap between requests to one venue. Default: the venue\'s public rate (Kraken 1000, Coinbase 100, Binance by request weight)' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from trade" -l snapshot -d 'Run offline from a snapshot bundle written by \'wealth record\'' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from trade" -l min-profit -d 'Smallest net profit reported, in basis points of the size' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from trade" -l capital -d 'Capital, in --asset: the position limit is --max-position of it' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from trade" -l asset -d 'The asset cycles start and end in' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from trade" -l max-legs -d 'Longest cycle: 3 (cross-venue pairs and triangles) or 4 (and four-leg cycles)' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from trade" -l fees -d 'Fee schedule (TOML) overriding the defaults; see the README' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from trade" -l max-position -d 'Largest position per cycle, as a fraction of capital' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from trade" -l max-age-ms -d 'A book older than this (against the newest book scanned) is rejected as stale' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from trade" -l max-skew-ms -d 'A cycle whose books were fetched further apart than this is rejected' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from trade" -l round -d 'The recording round of the snapshot to scan' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from trade" -l size -d 'Position size in --asset (default: the opportunity\'s best size)' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from trade" -l latency -d 'Fill each leg against the first book recorded this long after the scanned one' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from trade" -l stop-loss -d 'Stop-loss on stranded inventory, as a fraction of the position' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from trade" -l daily-loss-limit -d 'Largest realised loss per UTC day before the kill switch latches, in --asset (default 2% of capital)' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from trade" -l snapshot-dir -d 'Where snapshots are kept for replay (default: the ledger path + .snapshots)' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from trade" -l break-glass -d 'Trade under this open break-glass window (its entry id): the risk limits it opens are bypassed, and the trade names it (\'echoctl emergency break-glass\')' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from trade" -l key -d 'A signing key: a key file, or hsm:ID for the key with that object id in the HSM named by --hsm. Repeat it to sign the checkpoint with several keys; the first is named as the entries\' signer [env: ECHOCTL_KEY] [default: the ledger\'s default key file]' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from trade" -l hsm -d 'The YubiHSM2 holding hsm:ID keys: http://HOST:PORT (yubihsm-connector) or usb[:SERIAL] [env: ECHOCTL_HSM]. Credentials come from ECHOCTL_HSM_AUTH_KEY and ECHOCTL_HSM_PASSWORD, or a prompt on a terminal' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from trade" -l source -d 'Who records the entries' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from trade" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from trade" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from trade" -l best -d 'Trade the best-ranked opportunity'
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from trade" -l paper -d 'Paper trading (the default and the only mode)'
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from trade" -l live -d 'Live order placement: refused, not supported'
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from trade" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from trade" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from trade" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from replay" -l snapshot -d 'A snapshot bundle to use (repeatable); the snapshot directory is searched too' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from replay" -l snapshot-dir -d 'Where snapshots are kept (default: the ledger path + .snapshots)' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from replay" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from replay" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from replay" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from replay" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from replay" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from pnl" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from pnl" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from pnl" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from pnl" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from pnl" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from reset-kill-switch" -l reason -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from reset-kill-switch" -l key -d 'A signing key: a key file, or hsm:ID for the key with that object id in the HSM named by --hsm. Repeat it to sign the checkpoint with several keys; the first is named as the entries\' signer [env: ECHOCTL_KEY] [default: the ledger\'s default key file]' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from reset-kill-switch" -l hsm -d 'The YubiHSM2 holding hsm:ID keys: http://HOST:PORT (yubihsm-connector) or usb[:SERIAL] [env: ECHOCTL_HSM]. Credentials come from ECHOCTL_HSM_AUTH_KEY and ECHOCTL_HSM_PASSWORD, or a prompt on a terminal' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from reset-kill-switch" -l source -d 'Who records the entries' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from reset-kill-switch" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from reset-kill-switch" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from reset-kill-switch" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from reset-kill-switch" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from reset-kill-switch" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from help" -f -a "record" -d 'Record market lists and order books into a snapshot bundle (raw bodies verbatim)'
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from help" -f -a "scan" -d 'Find profitable cycles, sized exactly against book depth; exit 1 when none'
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from help" -f -a "trade" -d 'Paper-trade an opportunity under the risk limits; every fill goes into the ledger'
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from help" -f -a "replay" -d 'Recompute every recorded trade from the ledger and its snapshots; exit 1 on any difference'
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from help" -f -a "pnl" -d 'Realised profit and loss of every recorded trade, and the totals per asset'
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from help" -f -a "reset-kill-switch" -d 'Clear a latched kill switch, recording why'
complete -c echoctl -n "__fish_echoctl_using_subcommand wealth; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c echoctl -n "__fish_echoctl_using_subcommand serve" -l listen -d 'The address to listen on (port 0: any free port, printed on stdout)' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand serve" -l readers -d 'Requests answered at once: one read-only database connection each' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand serve" -l tokens -d 'Accept POST /entries from the bearer tokens in this file (\'echoctl token add\'); without it the server is read-only' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand serve" -l key -d 'A signing key: a key file, or hsm:ID for the key with that object id in the HSM named by --hsm. Repeat it to sign the checkpoint with several keys; the first is named as the entries\' signer [env: ECHOCTL_KEY] [default: the ledger\'s default key file]' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand serve" -l hsm -d 'The YubiHSM2 holding hsm:ID keys: http://HOST:PORT (yubihsm-connector) or usb[:SERIAL] [env: ECHOCTL_HSM]. Credentials come from ECHOCTL_HSM_AUTH_KEY and ECHOCTL_HSM_PASSWORD, or a prompt on a terminal' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand serve" -l rate -d 'Entries per second each token may append (a burst of one second\'s worth); 0: no limit' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand serve" -l batch-max -d 'Entries per transaction when concurrent requests are batched' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand serve" -l batch-age-ms -d 'How long a batch\'s first request waits for more, in milliseconds (0: it takes only those already waiting)' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand serve" -l max-connections -d 'Open connections at most; more wait in the listen backlog' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand serve" -l timeout -d 'Seconds a request\'s head, its body, and its answer may each take' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand serve" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand serve" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand serve" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand serve" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand serve" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand witness; and not __fish_seen_subcommand_from serve help" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand witness; and not __fish_seen_subcommand_from serve help" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand witness; and not __fish_seen_subcommand_from serve help" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand witness; and not __fish_seen_subcommand_from serve help" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand witness; and not __fish_seen_subcommand_from serve help" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand witness; and not __fish_seen_subcommand_from serve help" -f -a "serve" -d 'Serve POST /add-checkpoint (and /metrics) until SIGTERM or SIGINT'
complete -c echoctl -n "__fish_echoctl_using_subcommand witness; and not __fish_seen_subcommand_from serve help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c echoctl -n "__fish_echoctl_using_subcommand witness; and __fish_seen_subcommand_from serve" -l key -d 'A signing key: a key file, or hsm:ID for the key with that object id in the HSM named by --hsm. Repeat it to sign the checkpoint with several keys; the first is named as the entries\' signer [env: ECHOCTL_KEY] [default: the ledger\'s default key file]' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand witness; and __fish_seen_subcommand_from serve" -l hsm -d 'The YubiHSM2 holding hsm:ID keys: http://HOST:PORT (yubihsm-connector) or usb[:SERIAL] [env: ECHOCTL_HSM]. Credentials come from ECHOCTL_HSM_AUTH_KEY and ECHOCTL_HSM_PASSWORD, or a prompt on a terminal' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand witness; and __fish_seen_subcommand_from serve" -l logs -d 'The logs to follow (TOML: [[log]] with origin, keys and an optional rate)' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand witness; and __fish_seen_subcommand_from serve" -l state -d 'Where the witness remembers what it cosigned: a file (SQLite, created if missing) or a postgres:// URL' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand witness; and __fish_seen_subcommand_from serve" -l listen -d 'The address to listen on (port 0: any free port, printed on stdout)' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand witness; and __fish_seen_subcommand_from serve" -l max-connections -d 'Open connections at most; more wait in the listen backlog' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand witness; and __fish_seen_subcommand_from serve" -l timeout -d 'Seconds a request\'s head, its body, and its answer may each take' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand witness; and __fish_seen_subcommand_from serve" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand witness; and __fish_seen_subcommand_from serve" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand witness; and __fish_seen_subcommand_from serve" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand witness; and __fish_seen_subcommand_from serve" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand witness; and __fish_seen_subcommand_from serve" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand witness; and __fish_seen_subcommand_from help" -f -a "serve" -d 'Serve POST /add-checkpoint (and /metrics) until SIGTERM or SIGINT'
complete -c echoctl -n "__fish_echoctl_using_subcommand witness; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c echoctl -n "__fish_echoctl_using_subcommand token; and not __fish_seen_subcommand_from add list remove help" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand token; and not __fish_seen_subcommand_from add list remove help" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand token; and not __fish_seen_subcommand_from add list remove help" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand token; and not __fish_seen_subcommand_from add list remove help" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand token; and not __fish_seen_subcommand_from add list remove help" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand token; and not __fish_seen_subcommand_from add list remove help" -f -a "add" -d 'Add a token and print its secret, once (the file keeps only its SHA-256)'
complete -c echoctl -n "__fish_echoctl_using_subcommand token; and not __fish_seen_subcommand_from add list remove help" -f -a "list" -d 'List the tokens: names and kinds'
complete -c echoctl -n "__fish_echoctl_using_subcommand token; and not __fish_seen_subcommand_from add list remove help" -f -a "remove" -d 'Remove a token: a running server stops taking it when restarted'
complete -c echoctl -n "__fish_echoctl_using_subcommand token; and not __fish_seen_subcommand_from add list remove help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c echoctl -n "__fish_echoctl_using_subcommand token; and __fish_seen_subcommand_from add" -l tokens -d 'The token file (created if missing, mode 0600)' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand token; and __fish_seen_subcommand_from add" -l kind -d 'Limit the token to this kind (repeatable); default: every user kind' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand token; and __fish_seen_subcommand_from add" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand token; and __fish_seen_subcommand_from add" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand token; and __fish_seen_subcommand_from add" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand token; and __fish_seen_subcommand_from add" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand token; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand token; and __fish_seen_subcommand_from list" -l tokens -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand token; and __fish_seen_subcommand_from list" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand token; and __fish_seen_subcommand_from list" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand token; and __fish_seen_subcommand_from list" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand token; and __fish_seen_subcommand_from list" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand token; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand token; and __fish_seen_subcommand_from remove" -l tokens -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand token; and __fish_seen_subcommand_from remove" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand token; and __fish_seen_subcommand_from remove" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand token; and __fish_seen_subcommand_from remove" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand token; and __fish_seen_subcommand_from remove" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand token; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand token; and __fish_seen_subcommand_from help" -f -a "add" -d 'Add a token and print its secret, once (the file keeps only its SHA-256)'
complete -c echoctl -n "__fish_echoctl_using_subcommand token; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the tokens: names and kinds'
complete -c echoctl -n "__fish_echoctl_using_subcommand token; and __fish_seen_subcommand_from help" -f -a "remove" -d 'Remove a token: a running server stops taking it when restarted'
complete -c echoctl -n "__fish_echoctl_using_subcommand token; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and not __fish_seen_subcommand_from roles halt resume sign break-glass close status help" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and not __fish_seen_subcommand_from roles halt resume sign break-glass close status help" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and not __fish_seen_subcommand_from roles halt resume sign break-glass close status help" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and not __fish_seen_subcommand_from roles halt resume sign break-glass close status help" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and not __fish_seen_subcommand_from roles halt resume sign break-glass close status help" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and not __fish_seen_subcommand_from roles halt resume sign break-glass close status help" -f -a "roles" -d 'Set who holds the emergency role and the resume quorum (k of n, k >= 2). The first time needs only the ledger\'s key; once roles exist, k approvals of the current quorum (collected with --print-statement and \'emergency sign\')'
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and not __fish_seen_subcommand_from roles halt resume sign break-glass close status help" -f -a "halt" -d 'Halt an area (all, wealth, bft, court, treasury): every command that acts there is refused until a resume. Signed by a key of the emergency role'
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and not __fish_seen_subcommand_from roles halt resume sign break-glass close status help" -f -a "resume" -d 'Lift a halt with the signatures of k distinct keys of the resume quorum'
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and not __fish_seen_subcommand_from roles halt resume sign break-glass close status help" -f -a "sign" -d 'Sign a statement printed by --print-statement (offline; no ledger needed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and not __fish_seen_subcommand_from roles halt resume sign break-glass close status help" -f -a "break-glass" -d 'Open a break-glass window (at most 15 minutes) in which the named guards are bypassed by actions that name it; every such action is recorded with it'
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and not __fish_seen_subcommand_from roles halt resume sign break-glass close status help" -f -a "close" -d 'Close a break-glass window before its time'
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and not __fish_seen_subcommand_from roles halt resume sign break-glass close status help" -f -a "status" -d 'What is in force now: halts, open windows with their minutes left, the roles'
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and not __fish_seen_subcommand_from roles halt resume sign break-glass close status help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from roles" -l emergency-key -d 'A verifier key that may halt, open and close break-glass windows (repeatable)' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from roles" -l resume-key -d 'A verifier key of the resume quorum (repeatable)' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from roles" -l quorum -d 'How many distinct resume keys must sign a resume (at least 2)' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from roles" -l approval -d 'A signature of the current quorum over this statement (repeatable)' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from roles" -l key -d 'A signing key: a key file, or hsm:ID for the key with that object id in the HSM named by --hsm. Repeat it to sign the checkpoint with several keys; the first is named as the entries\' signer [env: ECHOCTL_KEY] [default: the ledger\'s default key file]' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from roles" -l hsm -d 'The YubiHSM2 holding hsm:ID keys: http://HOST:PORT (yubihsm-connector) or usb[:SERIAL] [env: ECHOCTL_HSM]. Credentials come from ECHOCTL_HSM_AUTH_KEY and ECHOCTL_HSM_PASSWORD, or a prompt on a terminal' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from roles" -l source -d 'Who records the entries' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from roles" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from roles" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from roles" -l print-statement -d 'Print the statement to sign instead of writing anything'
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from roles" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from roles" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from roles" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from halt" -l area -d 'What stops' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from halt" -l reason -d 'Why (recorded, and shown by every refusal)' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from halt" -l as -d 'The emergency key that signs the halt: a key file, or hsm:ID' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from halt" -l key -d 'A signing key: a key file, or hsm:ID for the key with that object id in the HSM named by --hsm. Repeat it to sign the checkpoint with several keys; the first is named as the entries\' signer [env: ECHOCTL_KEY] [default: the ledger\'s default key file]' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from halt" -l hsm -d 'The YubiHSM2 holding hsm:ID keys: http://HOST:PORT (yubihsm-connector) or usb[:SERIAL] [env: ECHOCTL_HSM]. Credentials come from ECHOCTL_HSM_AUTH_KEY and ECHOCTL_HSM_PASSWORD, or a prompt on a terminal' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from halt" -l source -d 'Who records the entries' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from halt" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from halt" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from halt" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from halt" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from halt" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from resume" -l halt -d 'The halt entry\'s id' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from resume" -l reason -d 'Why' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from resume" -l signature -d 'A signature of the resume statement (\'emergency sign\'), repeatable' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from resume" -l key -d 'A signing key: a key file, or hsm:ID for the key with that object id in the HSM named by --hsm. Repeat it to sign the checkpoint with several keys; the first is named as the entries\' signer [env: ECHOCTL_KEY] [default: the ledger\'s default key file]' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from resume" -l hsm -d 'The YubiHSM2 holding hsm:ID keys: http://HOST:PORT (yubihsm-connector) or usb[:SERIAL] [env: ECHOCTL_HSM]. Credentials come from ECHOCTL_HSM_AUTH_KEY and ECHOCTL_HSM_PASSWORD, or a prompt on a terminal' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from resume" -l source -d 'Who records the entries' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from resume" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from resume" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from resume" -l print-statement -d 'Print the statement each signer signs instead of writing anything'
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from resume" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from resume" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from resume" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from sign" -l as -d 'The signing key: a key file, or hsm:ID' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from sign" -l hsm -d 'The YubiHSM2 for an hsm:ID key [env: ECHOCTL_HSM]' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from sign" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from sign" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from sign" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from sign" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from sign" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from break-glass" -l guard -d 'A guard to bypass: risk-limits (repeatable)' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from break-glass" -l minutes -d 'How long the window stays open, 1 to 15' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from break-glass" -l reason -d 'Why' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from break-glass" -l as -d 'The emergency key that signs it' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from break-glass" -l key -d 'A signing key: a key file, or hsm:ID for the key with that object id in the HSM named by --hsm. Repeat it to sign the checkpoint with several keys; the first is named as the entries\' signer [env: ECHOCTL_KEY] [default: the ledger\'s default key file]' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from break-glass" -l hsm -d 'The YubiHSM2 holding hsm:ID keys: http://HOST:PORT (yubihsm-connector) or usb[:SERIAL] [env: ECHOCTL_HSM]. Credentials come from ECHOCTL_HSM_AUTH_KEY and ECHOCTL_HSM_PASSWORD, or a prompt on a terminal' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from break-glass" -l source -d 'Who records the entries' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from break-glass" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from break-glass" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from break-glass" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from break-glass" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from break-glass" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from close" -l reason -d 'Why' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from close" -l as -d 'The emergency key that signs it' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from close" -l key -d 'A signing key: a key file, or hsm:ID for the key with that object id in the HSM named by --hsm. Repeat it to sign the checkpoint with several keys; the first is named as the entries\' signer [env: ECHOCTL_KEY] [default: the ledger\'s default key file]' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from close" -l hsm -d 'The YubiHSM2 holding hsm:ID keys: http://HOST:PORT (yubihsm-connector) or usb[:SERIAL] [env: ECHOCTL_HSM]. Credentials come from ECHOCTL_HSM_AUTH_KEY and ECHOCTL_HSM_PASSWORD, or a prompt on a terminal' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from close" -l source -d 'Who records the entries' -r
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from close" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from close" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from close" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from close" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from close" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from status" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from status" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from status" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from status" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from help" -f -a "roles" -d 'Set who holds the emergency role and the resume quorum (k of n, k >= 2). The first time needs only the ledger\'s key; once roles exist, k approvals of the current quorum (collected with --print-statement and \'emergency sign\')'
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from help" -f -a "halt" -d 'Halt an area (all, wealth, bft, court, treasury): every command that acts there is refused until a resume. Signed by a key of the emergency role'
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from help" -f -a "resume" -d 'Lift a halt with the signatures of k distinct keys of the resume quorum'
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from help" -f -a "sign" -d 'Sign a statement printed by --print-statement (offline; no ledger needed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from help" -f -a "break-glass" -d 'Open a break-glass window (at most 15 minutes) in which the named guards are bypassed by actions that name it; every such action is recorded with it'
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from help" -f -a "close" -d 'Close a break-glass window before its time'
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from help" -f -a "status" -d 'What is in force now: halts, open windows with their minutes left, the roles'
complete -c echoctl -n "__fish_echoctl_using_subcommand emergency; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c echoctl -n "__fish_echoctl_using_subcommand generate; and not __fish_seen_subcommand_from completions man help" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand generate; and not __fish_seen_subcommand_from completions man help" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand generate; and not __fish_seen_subcommand_from completions man help" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand generate; and not __fish_seen_subcommand_from completions man help" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand generate; and not __fish_seen_subcommand_from completions man help" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand generate; and not __fish_seen_subcommand_from completions man help" -f -a "completions" -d 'Write bash, zsh and fish completions into DIR'
complete -c echoctl -n "__fish_echoctl_using_subcommand generate; and not __fish_seen_subcommand_from completions man help" -f -a "man" -d 'Write man pages into DIR'
complete -c echoctl -n "__fish_echoctl_using_subcommand generate; and not __fish_seen_subcommand_from completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c echoctl -n "__fish_echoctl_using_subcommand generate; and __fish_seen_subcommand_from completions" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand generate; and __fish_seen_subcommand_from completions" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand generate; and __fish_seen_subcommand_from completions" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand generate; and __fish_seen_subcommand_from completions" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand generate; and __fish_seen_subcommand_from completions" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand generate; and __fish_seen_subcommand_from man" -l db -d 'The ledger: a SQLite file, or a postgres:// URL [env: ECHOCTL_DB] [default: echo.db]' -r -F
complete -c echoctl -n "__fish_echoctl_using_subcommand generate; and __fish_seen_subcommand_from man" -l color -d 'When to use color [default: auto: unless NO_COLOR is set, when stderr is a terminal]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c echoctl -n "__fish_echoctl_using_subcommand generate; and __fish_seen_subcommand_from man" -l json -d 'Print one JSON document (JSON Lines for streams) on stdout'
complete -c echoctl -n "__fish_echoctl_using_subcommand generate; and __fish_seen_subcommand_from man" -s q -l quiet -d 'No progress bars or notes on stderr (errors are still printed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand generate; and __fish_seen_subcommand_from man" -s h -l help -d 'Print help'
complete -c echoctl -n "__fish_echoctl_using_subcommand generate; and __fish_seen_subcommand_from help" -f -a "completions" -d 'Write bash, zsh and fish completions into DIR'
complete -c echoctl -n "__fish_echoctl_using_subcommand generate; and __fish_seen_subcommand_from help" -f -a "man" -d 'Write man pages into DIR'
complete -c echoctl -n "__fish_echoctl_using_subcommand generate; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and not __fish_seen_subcommand_from init key ledger bft court treasury watchtower wealth serve witness token emergency generate help" -f -a "init" -d 'Create a new ledger with its genesis entry and first signed checkpoint'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and not __fish_seen_subcommand_from init key ledger bft court treasury watchtower wealth serve witness token emergency generate help" -f -a "key" -d 'Manage signing keys'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and not __fish_seen_subcommand_from init key ledger bft court treasury watchtower wealth serve witness token emergency generate help" -f -a "ledger" -d 'Append to, amend, read and verify the ledger'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and not __fish_seen_subcommand_from init key ledger bft court treasury watchtower wealth serve witness token emergency generate help" -f -a "bft" -d 'Byzantine-fault-tolerant decisions among validators over TCP'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and not __fish_seen_subcommand_from init key ledger bft court treasury watchtower wealth serve witness token emergency generate help" -f -a "court" -d 'Open cases on conflicting entries and decide them with rulings that amend the ledger'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and not __fish_seen_subcommand_from init key ledger bft court treasury watchtower wealth serve witness token emergency generate help" -f -a "treasury" -d 'Record what tasks cost and return; report ROI in exact decimals'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and not __fish_seen_subcommand_from init key ledger bft court treasury watchtower wealth serve witness token emergency generate help" -f -a "watchtower" -d 'Verify the ledger and record the contradictions it can prove'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and not __fish_seen_subcommand_from init key ledger bft court treasury watchtower wealth serve witness token emergency generate help" -f -a "wealth" -d 'Exact arbitrage scans over exchange order books and paper trading under risk limits, every decision and fill in the ledger'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and not __fish_seen_subcommand_from init key ledger bft court treasury watchtower wealth serve witness token emergency generate help" -f -a "serve" -d 'Serve the ledger over HTTP: C2SP tlog-tiles, entries, receipts, consistency proofs, /health, /metrics and /openapi.json; with --tokens also POST /entries (runs until SIGTERM or SIGINT)'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and not __fish_seen_subcommand_from init key ledger bft court treasury watchtower wealth serve witness token emergency generate help" -f -a "witness" -d 'A witness on the network (c2sp.org/tlog-witness): cosigns the checkpoints of the logs it follows, each only if consistent with the last it cosigned'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and not __fish_seen_subcommand_from init key ledger bft court treasury watchtower wealth serve witness token emergency generate help" -f -a "token" -d 'Bearer tokens for \'echoctl serve --tokens\': add, list, remove'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and not __fish_seen_subcommand_from init key ledger bft court treasury watchtower wealth serve witness token emergency generate help" -f -a "emergency" -d 'Emergency powers: a signed halt, a k-of-n resume, a break-glass window of at most 15 minutes, all in the ledger'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and not __fish_seen_subcommand_from init key ledger bft court treasury watchtower wealth serve witness token emergency generate help" -f -a "generate" -d 'Write shell completions or man pages (for packagers)'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and not __fish_seen_subcommand_from init key ledger bft court treasury watchtower wealth serve witness token emergency generate help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from key" -f -a "generate" -d 'Generate an Ed25519 key, in a key file (mode 0600) or inside a YubiHSM2, and print its verifier key'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from key" -f -a "show" -d 'Print the verifier key of a signing key (what auditors and CI pin)'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from key" -f -a "list" -d 'List the keys the ledger knows: genesis keys, additions, rotations, revocations'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from key" -f -a "import" -d 'Import a key file into a YubiHSM2 as a non-exportable key. A one-way door: the HSM will never give the key back; destroy the file afterwards if the HSM is to be its only holder'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from key" -f -a "add" -d 'Add a signing key to the ledger (for instance a second signer during a migration)'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from key" -f -a "revoke" -d 'Revoke a signing key: it may sign nothing after this entry'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from key" -f -a "rotate" -d 'Rotate: add a new key and revoke an old one in one entry'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from ledger" -f -a "append" -d 'Append entries: one from --content, or many from --batch in one transaction'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from ledger" -f -a "amend" -d 'Append an amendment to an earlier entry (the entry itself is never changed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from ledger" -f -a "verify" -d 'Verify everything from the stored bytes; exit 1 on any tampering'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from ledger" -f -a "log" -d 'List entries'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from ledger" -f -a "show" -d 'Show one entry, its amendments and its effective state'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from ledger" -f -a "checkpoint" -d 'Print the latest signed checkpoint (C2SP signed note), or store witness cosignatures'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from ledger" -f -a "proof" -d 'Write a receipt for one entry (C2SP tlog-proof), or verify one offline'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from ledger" -f -a "consistency" -d 'Prove that the ledger extends an earlier checkpoint, or verify such a proof offline'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from ledger" -f -a "export" -d 'Write the whole ledger to one portable bundle file that verifies without SQLite'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from ledger" -f -a "import" -d 'Rebuild a ledger (at --db, which must not exist) from a bundle that verifies'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from ledger" -f -a "copy" -d 'Copy a ledger into another, between any two engines (PostgreSQL to a SQLite file and back): only what the destination lacks, refusing one that has diverged, then verify it'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from ledger" -f -a "tiles" -d 'Write the ledger as C2SP tlog-tiles (checkpoint, hash tiles, entry bundles) into DIR, for any static web server; a second run writes only what the tree grew'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from ledger" -f -a "mirror" -d 'Keep a verified local copy (--db) of a log served as tlog-tiles: only what is new, committed only when the whole log verifies; a log that rewrote history is refused'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from ledger" -f -a "witness" -d 'Act as a witness: cosign checkpoints that are consistent with what it saw before'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from ledger" -f -a "reader" -d 'Compile the Reader Edition: the ledger as it stands, amendments applied, with trace links'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from bft" -f -a "serve" -d 'Run a validator: decide proposals with the other validators, record each decision with its certificate in this ledger (--db). Runs until stopped'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from bft" -f -a "propose" -d 'Submit a proposal, wait for the decision and print it with its certificate. Exit 0 approved, 1 rejected or not decided in time, 3 no quorum reachable'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from bft" -f -a "vote" -d 'Give this operator\'s judgement on a pending proposal (a node with --policy manual)'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from bft" -f -a "pending" -d 'Proposals waiting for this operator\'s judgement'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from bft" -f -a "status" -d 'Validators, whether they answer, rounds in progress and recent decisions'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from court" -f -a "open" -d 'Open a case about two or more conflicting entries'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from court" -f -a "list" -d 'List cases'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from court" -f -a "show" -d 'Show a case, the current state of its entries, and its ruling'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from court" -f -a "rule" -d 'Decide a case: a ruling and the amendments it orders, in one transaction'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from treasury" -f -a "record" -d 'Record a task with its cost, risk and expected value'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from treasury" -f -a "settle" -d 'Settle a task with the value it actually returned'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from treasury" -f -a "roi" -d 'Cost, expected and actual value, and ROI of every task (or one)'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from watchtower" -f -a "scan" -d 'Verify, find contradictions and constraint violations, record new findings'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from wealth" -f -a "record" -d 'Record market lists and order books into a snapshot bundle (raw bodies verbatim)'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from wealth" -f -a "scan" -d 'Find profitable cycles, sized exactly against book depth; exit 1 when none'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from wealth" -f -a "trade" -d 'Paper-trade an opportunity under the risk limits; every fill goes into the ledger'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from wealth" -f -a "replay" -d 'Recompute every recorded trade from the ledger and its snapshots; exit 1 on any difference'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from wealth" -f -a "pnl" -d 'Realised profit and loss of every recorded trade, and the totals per asset'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from wealth" -f -a "reset-kill-switch" -d 'Clear a latched kill switch, recording why'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from witness" -f -a "serve" -d 'Serve POST /add-checkpoint (and /metrics) until SIGTERM or SIGINT'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from token" -f -a "add" -d 'Add a token and print its secret, once (the file keeps only its SHA-256)'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from token" -f -a "list" -d 'List the tokens: names and kinds'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from token" -f -a "remove" -d 'Remove a token: a running server stops taking it when restarted'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from emergency" -f -a "roles" -d 'Set who holds the emergency role and the resume quorum (k of n, k >= 2). The first time needs only the ledger\'s key; once roles exist, k approvals of the current quorum (collected with --print-statement and \'emergency sign\')'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from emergency" -f -a "halt" -d 'Halt an area (all, wealth, bft, court, treasury): every command that acts there is refused until a resume. Signed by a key of the emergency role'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from emergency" -f -a "resume" -d 'Lift a halt with the signatures of k distinct keys of the resume quorum'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from emergency" -f -a "sign" -d 'Sign a statement printed by --print-statement (offline; no ledger needed)'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from emergency" -f -a "break-glass" -d 'Open a break-glass window (at most 15 minutes) in which the named guards are bypassed by actions that name it; every such action is recorded with it'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from emergency" -f -a "close" -d 'Close a break-glass window before its time'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from emergency" -f -a "status" -d 'What is in force now: halts, open windows with their minutes left, the roles'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from generate" -f -a "completions" -d 'Write bash, zsh and fish completions into DIR'
complete -c echoctl -n "__fish_echoctl_using_subcommand help; and __fish_seen_subcommand_from generate" -f -a "man" -d 'Write man pages into DIR'
